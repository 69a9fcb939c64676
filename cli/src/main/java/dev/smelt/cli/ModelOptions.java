package dev.smelt.cli;

import dev.smelt.tensor.ThreadPool;
import picocli.CommandLine.Mixin;

/** Options shared by commands that run a decoder model: its threads and its context. */
final class ModelOptions {
    /** The context a sequence gets when --ctx is not given, capped at the model's own. */
    static final int DEFAULT_CONTEXT = 4096;
    /** The chunk that perplexity, kld, imatrix and the calibration of prune and lowrank score when --ctx is not given (llama-perplexity's). */
    static final int CHUNK_CONTEXT = 512;

    @Mixin
    ThreadsOption threads;

    @Mixin
    ContextOption context;

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
        return context.or(fallback);
    }
}
