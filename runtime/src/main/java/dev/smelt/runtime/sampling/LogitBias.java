package dev.smelt.runtime.sampling;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Additive per-token logit offsets (OpenAI's and llama-server's {@code logit_bias}): {@code +bias} is added
 * to the token's logit before any other sampling step, as llama.cpp's logit-bias sampler comes first in its
 * chain. A bias of −100 in practice bans a token, +100 in practice forces it; −∞ bans it exactly.
 * Immutable, thread-safe.
 */
public final class LogitBias {
    /** No offsets. */
    public static final LogitBias NONE = new LogitBias(new int[0], new float[0]);

    private final int[] ids;       // ascending token ids
    private final float[] biases;  // [ids.length]

    private LogitBias(int[] ids, float[] biases) {
        this.ids = ids;
        this.biases = biases;
    }

    /** @throws IllegalArgumentException for a negative id or a NaN bias */
    public static LogitBias of(Map<Integer, Float> bias) {
        if (bias.isEmpty()) {
            return NONE;
        }
        TreeMap<Integer, Float> sorted = new TreeMap<>(bias);
        int[] ids = new int[sorted.size()];
        float[] b = new float[ids.length];
        int i = 0;
        for (Map.Entry<Integer, Float> e : sorted.entrySet()) {
            if (e.getKey() < 0 || e.getValue().isNaN()) {
                throw new IllegalArgumentException("logit bias needs token ids >= 0 and numeric biases, got " + e.getKey() + ": " + e.getValue());
            }
            ids[i] = e.getKey();
            b[i++] = e.getValue();
        }
        return new LogitBias(ids, b);
    }

    public boolean isEmpty() {
        return ids.length == 0;
    }

    /** Largest biased token id, or −1 (callers check it against their vocabulary). */
    public int maxId() {
        return ids.length == 0 ? -1 : ids[ids.length - 1];
    }

    /** Adds the offsets to logits {@code l[0, vocab)}; ids beyond the vocabulary are skipped. */
    public void apply(float[] l, int vocab) {
        for (int i = 0; i < ids.length && ids[i] < vocab; i++) {
            l[ids[i]] += biases[i];
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogitBias b && Arrays.equals(ids, b.ids) && Arrays.equals(biases, b.biases);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + Arrays.hashCode(biases);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < ids.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(ids[i]).append(": ").append(biases[i]);
        }
        return sb.append('}').toString();
    }
}
