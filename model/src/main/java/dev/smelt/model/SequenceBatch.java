package dev.smelt.model;

import java.util.Arrays;

/**
 * One forward step's tokens, possibly from several sequences (continuous batching): token i goes to
 * {@code caches[i]} at position {@code positions[i]}. Tokens of one sequence must be consecutive
 * positions starting at that cache's current length, in order. {@code wantLogits[i]} marks rows
 * whose logits the caller needs. {@code adapters[i]} names the LoRA adapter of token i's sequence
 * (0 = the base model; ids are the order adapters were attached to the model, from 1). Weights are
 * read once per step for all tokens.
 * Not thread-safe (a mutable builder); build, then pass to one forward call.
 */
public final class SequenceBatch {
    private int[] tokens = new int[16];
    private int[] positions = new int[16];
    private KvCache[] caches = new KvCache[16];
    private boolean[] wantLogits = new boolean[16];
    private int[] adapters = new int[16];
    private int size;

    /** Appends a token of {@code cache}'s sequence at the next free position (accounting for tokens already added). */
    public SequenceBatch add(KvCache cache, int token, boolean logits) {
        return add(cache, token, logits, 0);
    }

    /** As {@link #add(KvCache, int, boolean)} for a sequence that uses adapter {@code adapter} (0 = none). */
    public SequenceBatch add(KvCache cache, int token, boolean logits, int adapter) {
        if (adapter < 0) {
            throw new IllegalArgumentException("adapter id must be >= 0, got " + adapter);
        }
        int pos = cache.length();
        for (int i = size - 1; i >= 0; i--) {
            if (caches[i] == cache) {
                pos = positions[i] + 1;
                break;
            }
        }
        if (size == tokens.length) {
            int cap = size * 2;
            tokens = Arrays.copyOf(tokens, cap);
            positions = Arrays.copyOf(positions, cap);
            caches = Arrays.copyOf(caches, cap);
            wantLogits = Arrays.copyOf(wantLogits, cap);
            adapters = Arrays.copyOf(adapters, cap);
        }
        tokens[size] = token;
        positions[size] = pos;
        caches[size] = cache;
        wantLogits[size] = logits;
        adapters[size] = adapter;
        size++;
        return this;
    }

    public int size() {
        return size;
    }

    public int token(int i) {
        return tokens[i];
    }

    public int position(int i) {
        return positions[i];
    }

    public KvCache cache(int i) {
        return caches[i];
    }

    public boolean wantsLogits(int i) {
        return wantLogits[i];
    }

    /** The adapter id of row i's sequence (0 = base model). */
    public int adapter(int i) {
        return adapters[i];
    }

    /** Number of rows with logits requested. */
    public int logitRows() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            n += wantLogits[i] ? 1 : 0;
        }
        return n;
    }

    public void clear() {
        Arrays.fill(caches, 0, size, null);
        size = 0;
    }
}
