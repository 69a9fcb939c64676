package dev.smelt.model.arch;

import dev.smelt.tensor.ops.Rope;

/**
 * How one block attends: its layer (the KV cache slot), head geometry, sliding window (a query at
 * position p sees positions p − window < t ≤ p, as llama.cpp's standard SWA mask; 0 = full causal),
 * q·k scale, logit soft-cap and the rotary embedding of its queries and keys.
 * Immutable, thread-safe.
 *
 * @param softcap attention logit soft-cap (0: none)
 */
public record AttentionSpec(int layer, int heads, int kvHeads, int headDim, int window, float scale, float softcap, RopeSpec rope) {

    public AttentionSpec {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || headDim <= 0 || window < 0) {
            throw new IllegalArgumentException("attention: " + heads + " heads, " + kvHeads + " kv heads, head_dim " + headDim
                    + ", window " + window);
        }
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /**
     * A rotary embedding and its pair layout (NORM: adjacent pairs, NEOX: halves), which the trainer's
     * backward needs and {@link Rope} does not expose.
     */
    public record RopeSpec(Rope rope, Rope.Kind kind, int headDim) {
    }
}
