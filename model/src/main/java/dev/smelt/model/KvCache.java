package dev.smelt.model;

/**
 * Keys and values of every layer for one sequence, in F32, position-major:
 * keys[layer] is [capacity, kvDim] with kvDim = nKvHeads·headDim. Not thread-safe: one sequence is
 * advanced by one caller at a time (attention reads it from pool threads during that call).
 */
public final class KvCache {
    final float[][] keys;   // [layers][capacity * kvDim]
    final float[][] values; // [layers][capacity * kvDim]
    private final int capacity;
    private final int kvDim;
    private final boolean f16;
    private int length;

    public KvCache(int layers, int capacity, int kvDim) {
        this(layers, capacity, kvDim, false);
    }

    /**
     * @param f16 round stored keys/values (and the queries that meet them) to half precision, exactly as
     *            llama.cpp's default F16 KV cache does; storage stays float
     */
    public KvCache(int layers, int capacity, int kvDim, boolean f16) {
        if (capacity <= 0 || (long) capacity * kvDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " × " + kvDim + " is out of range");
        }
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.f16 = f16;
        this.keys = new float[layers][capacity * kvDim];
        this.values = new float[layers][capacity * kvDim];
    }

    /** Positions the cache can hold (the context size). */
    public int capacity() {
        return capacity;
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    /** Forgets positions ≥ {@code newLength} (to reuse a shared prefix or roll back). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate KV cache of length " + length + " to " + newLength);
        }
        length = newLength;
    }

    /**
     * Replaces this cache's contents by positions [0, n) of {@code src} (a prompt prefix another
     * sequence already computed: copying it costs far less than recomputing it).
     *
     * @throws IllegalArgumentException when the caches differ in shape or precision, or n is outside [0, src.length()]
     */
    public void copyPrefixFrom(KvCache src, int n) {
        if (src.keys.length != keys.length || src.kvDim != kvDim || src.f16 != f16) {
            throw new IllegalArgumentException("KV caches differ: " + src.keys.length + " vs " + keys.length + " layers, kvDim "
                    + src.kvDim + " vs " + kvDim + ", f16 " + src.f16 + " vs " + f16);
        }
        if (n < 0 || n > src.length || n > capacity) {
            throw new IllegalArgumentException("prefix length " + n + " outside [0, " + Math.min(src.length, capacity) + "]");
        }
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(src.keys[l], 0, keys[l], 0, n * kvDim);
            System.arraycopy(src.values[l], 0, values[l], 0, n * kvDim);
        }
        length = n;
    }

    /** Called by the model after appending positions; not for general use. */
    public void setLengthInternal(int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("KV length " + n + " outside [0, " + capacity + "]");
        }
        length = n;
    }

    /** Layer {@code l}'s keys, [capacity, kvDim]. */
    public float[] keys(int l) {
        return keys[l];
    }

    /** Layer {@code l}'s values, [capacity, kvDim]. */
    public float[] values(int l) {
        return values[l];
    }

    /** Whether entries are rounded to half precision (llama.cpp's F16 cache). */
    public boolean f16() {
        return f16;
    }

    public int kvDim() {
        return kvDim;
    }

    /** Bytes held. */
    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Float.BYTES;
    }
}
