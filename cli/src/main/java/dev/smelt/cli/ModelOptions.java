package dev.smelt.cli;

import dev.smelt.tensor.ThreadPool;
import picocli.CommandLine.Option;

/** Options shared by commands that run a model. */
final class ModelOptions {
    @Option(names = {"-t", "--threads"}, description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, description = "Context size in tokens (default: min(model context, 4096)).")
    Integer ctx;

    ThreadPool newPool() {
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + n);
        }
        return new ThreadPool(n);
    }

    int contextFor(int modelContext) {
        int c = ctx != null ? ctx : Math.min(modelContext, 4096);
        if (c < 1) {
            throw new IllegalArgumentException("--ctx must be >= 1, got " + c);
        }
        return c;
    }
}
