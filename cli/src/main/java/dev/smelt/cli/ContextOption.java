package dev.smelt.cli;

import picocli.CommandLine.Option;

/**
 * {@code -c/--ctx}, declared once for every command that runs a decoder over sequences (generation, serving,
 * and the chunked scoring and calibration commands); each command passes its own default to {@link #or}.
 */
final class ContextOption {
    @Option(names = {"-c", "--ctx"}, paramLabel = "TOKENS",
            description = "Context size in tokens per sequence or chunk (default: min(model context, 4096); eval: 2048;"
                    + " perplexity, kld, imatrix, prune, lowrank: 512, as llama-perplexity; quantize: 256).")
    Integer ctx;

    /** {@code --ctx} if given, else {@code fallback}. */
    int or(int fallback) {
        int c = ctx != null ? ctx : fallback;
        if (c < 1) {
            throw new IllegalArgumentException("--ctx must be >= 1, got " + c);
        }
        return c;
    }
}
