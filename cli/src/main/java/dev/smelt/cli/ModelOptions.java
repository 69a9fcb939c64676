package dev.smelt.cli;

import dev.smelt.tensor.ThreadPool;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options shared by commands that run a decoder model: its threads and its context. */
final class ModelOptions {
    /** The context a sequence gets when --ctx is not given, capped at the model's own. */
    static final int DEFAULT_CONTEXT = 4096;

    @Mixin
    ThreadsOption threads;

    @Option(names = {"-c", "--ctx"}, paramLabel = "TOKENS", description = "Context size in tokens per sequence (default: min(model context, 4096); eval: 2048).")
    Integer ctx;

    ThreadPool newPool() {
        return threads.newPool();
    }

    int threadCount() {
        return threads.count();
    }

    int contextFor(int modelContext) {
        return contextOr(Math.min(modelContext, DEFAULT_CONTEXT));
    }

    /** {@code --ctx} if given, else {@code fallback}. */
    int contextOr(int fallback) {
        int c = ctx != null ? ctx : fallback;
        if (c < 1) {
            throw new IllegalArgumentException("--ctx must be >= 1, got " + c);
        }
        return c;
    }
}
