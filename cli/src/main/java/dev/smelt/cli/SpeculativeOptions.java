package dev.smelt.cli;

import dev.smelt.runtime.engine.DraftModelDrafter;
import dev.smelt.runtime.engine.EngineOptions;
import dev.smelt.server.DecodingConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Speculative decoding flags shared by {@code serve} and {@code run} (llama-server's names and defaults). Drafts are
 * verified by the model in one batched forward and only the tokens it would have produced itself are kept, so at
 * temperature 0 the output is exactly that of decoding without drafts; sampled requests (temperature > 0) never draft.
 */
final class SpeculativeOptions {
    @Option(names = {"--draft", "-md", "--model-draft"}, paramLabel = "MODEL",
            description = "A small GGUF model with the same tokenizer that drafts tokens for the model to verify (temperature 0 requests).")
    Path draft;

    @Option(names = "--lookup", description = "Draft from the sequence's own earlier tokens (prompt lookup / n-gram speculation; no draft model).")
    boolean lookup;

    @Option(names = "--draft-max", defaultValue = "" + EngineOptions.DEFAULT_DRAFT_MAX,
            description = "Most draft tokens verified per step (default ${DEFAULT-VALUE}).")
    int draftMax;

    @Option(names = "--draft-min", defaultValue = "" + EngineOptions.DEFAULT_DRAFT_MIN,
            description = "Drafts shorter than this are not verified (default ${DEFAULT-VALUE}).")
    int draftMin;

    @Option(names = "--draft-p-min", defaultValue = "" + DraftModelDrafter.DEFAULT_P_MIN,
            description = "The draft model stops drafting when its top token's probability is below this (default ${DEFAULT-VALUE}).")
    float draftPMin;

    /** The decoding settings, checked (a missing draft file names the flag). */
    DecodingConfig toConfig(boolean jumpForward) {
        if (draft != null && !java.nio.file.Files.isRegularFile(draft)) {
            throw new IllegalArgumentException("--draft " + draft + ": no such file");
        }
        return new DecodingConfig(jumpForward, lookup, draft, draftMax, draftMin, draftPMin);
    }
}
