package dev.smelt.spark;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.runtime.engine.BatchEngine;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A decoder model with its continuous-batching engine: what one executor JVM holds for {@code smelt spark generate}.
 * Every task of the JVM submits its rows to the same engine, which decodes all running sequences in one step
 * (thread-safe: the engine queues requests from any thread).
 */
final class Generators implements AutoCloseable {
    /** Requests that may wait for a slot: every concurrent task's whole batch. */
    static final int QUEUE = 4096;

    final DecoderModel model;
    final Tokenizer tokenizer;
    final ThreadPool pool;
    final BatchEngine engine;
    final int context;

    private Generators(DecoderModel model, Tokenizer tokenizer, ThreadPool pool, BatchEngine engine, int context) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.pool = pool;
        this.engine = engine;
        this.context = context;
    }

    /** Opens {@code path} with {@code slots} sequences of {@code context} tokens each (capped at the model's own). */
    static Generators open(Path path, int threads, int slots, int context) throws IOException {
        DecoderModel m = Models.load(path);
        try {
            Tokenizer tok = Tokenizers.fromGguf(m.file());
            int ctx = Math.min(context, m.config().contextLength());
            ThreadPool pool = new ThreadPool(threads);
            return new Generators(m, tok, pool, new BatchEngine(m, pool, slots, ctx, QUEUE, BatchEngine.DEFAULT_STEP_TOKENS), ctx);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    @Override
    public void close() {
        engine.close();
        pool.close();
        model.close();
    }
}
