package dev.smelt.server;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.engine.BatchEngine;
import dev.smelt.tensor.ThreadPool;

/**
 * A loaded model: weights, its batching engine and tokenizer, and (when the model has one) its chat
 * renderer. Thread-safe; closing stops the engine and unmaps the weights.
 */
public final class ServedModel implements AutoCloseable {
    private final String name;
    private final DecoderModel model;
    private final ThreadPool pool;
    private final BatchEngine engine;
    private final TextCodec codec;
    private final ChatRenderer chat;
    private volatile long lastUsedNanos = System.nanoTime();
    private volatile byte[][] vocabBytes;

    public ServedModel(String name, DecoderModel model, ThreadPool pool, BatchEngine engine, TextCodec codec, ChatRenderer chat) {
        this.name = name;
        this.model = model;
        this.pool = pool;
        this.engine = engine;
        this.codec = codec;
        this.chat = chat;
    }

    public String name() {
        return name;
    }

    public DecoderModel model() {
        return model;
    }

    public BatchEngine engine() {
        return engine;
    }

    public TextCodec codec() {
        return codec;
    }

    /** Null when the model has no chat template. */
    public ChatRenderer chat() {
        return chat;
    }

    /** Bytes of every token (for grammar-constrained decoding), built once. */
    byte[][] vocabBytes() {
        byte[][] v = vocabBytes;
        if (v == null) {
            v = new byte[codec.vocabSize()][];
            for (int i = 0; i < v.length; i++) {
                v[i] = codec.tokenBytes(i);
            }
            vocabBytes = v;
        }
        return v;
    }

    void touch() {
        lastUsedNanos = System.nanoTime();
    }

    long idleNanos() {
        return System.nanoTime() - lastUsedNanos;
    }

    @Override
    public void close() {
        engine.close();
        pool.close();
        model.close();
    }
}
