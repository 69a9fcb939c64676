package dev.smelt.server;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.engine.BatchEngine;
import dev.smelt.server.tools.ToolFormat;
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
    private final ToolFormat toolFormat;
    private final boolean nativeTools;
    private final java.util.Set<Integer> markerTokens;
    private final java.util.concurrent.atomic.AtomicInteger leases = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long lastUsedNanos = System.nanoTime();
    private volatile java.time.Duration keepAlive; // per-model override (Ollama keep_alive), null = registry default
    private volatile byte[][] vocabBytes;
    private volatile AutoCloseable extra; // closed after the engine (a draft model), or null

    public ServedModel(String name, DecoderModel model, ThreadPool pool, BatchEngine engine, TextCodec codec, ChatRenderer chat) {
        this(name, model, pool, engine, codec, chat, ToolFormat.HERMES, false);
    }

    /**
     * @param toolFormat  how this model writes tool calls (from its chat template)
     * @param nativeTools whether the chat template renders {@code tools} itself (else the Hermes fallback prompt is used)
     */
    public ServedModel(String name, DecoderModel model, ThreadPool pool, BatchEngine engine, TextCodec codec, ChatRenderer chat,
                       ToolFormat toolFormat, boolean nativeTools) {
        this.toolFormat = toolFormat;
        this.nativeTools = nativeTools;
        java.util.Set<Integer> markers = new java.util.HashSet<>();
        for (String mk : toolFormat.markerTokens()) {
            int[] ids = codec.encode(mk, false);
            if (ids.length == 1) {
                markers.add(ids[0]);
            }
        }
        this.markerTokens = java.util.Set.copyOf(markers);
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

    public ToolFormat toolFormat() {
        return toolFormat;
    }

    public boolean nativeTools() {
        return nativeTools;
    }

    /** Control tokens whose text must stay visible so tool calls can be parsed. */
    java.util.Set<Integer> markerTokens() {
        return markerTokens;
    }

    /** Marks a request as using this model (it is not unloaded while leased). */
    void lease(long nowNanos) {
        leases.incrementAndGet();
        touch(nowNanos);
    }

    void release(long nowNanos) {
        touch(nowNanos);
        leases.decrementAndGet();
    }

    int leases() {
        return leases.get();
    }

    java.time.Duration keepAlive() {
        return keepAlive;
    }

    void keepAlive(java.time.Duration d) {
        keepAlive = d;
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

    /** @param nowNanos the registry's clock */
    void touch(long nowNanos) {
        lastUsedNanos = nowNanos;
    }

    long idleNanos(long nowNanos) {
        return nowNanos - lastUsedNanos;
    }

    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /** This model, also closing {@code resource} (may be null) once its engine has stopped. */
    ServedModel closing(AutoCloseable resource) {
        this.extra = resource;
        return this;
    }

    @Override
    public void close() {
        engine.close();
        if (extra != null) {
            try {
                extra.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + name + "'s draft model failed", e);
            }
        }
        pool.close();
        model.close();
    }
}
