package dev.smelt.model.arch;

import java.util.List;

/**
 * The shared builders architectures compose their blocks from (llama.cpp's {@code build_norm},
 * {@code build_attn}, {@code build_ffn}): written once against {@link DecoderOps}, so inference and
 * training run them alike. A variant an architecture lacks is a null tensor in its weights record,
 * chosen where the architecture declares its tensors. Stateless, thread-safe.
 */
public final class Blocks {
    private Blocks() {
    }

    /**
     * Self-attention of one block: q/k/v from separate projections (biases inside the {@link Proj}s, qwen2)
     * or one fused {@code qkv} (phi3), optional per-head RMSNorm of q and k before rope (qwen3, gemma3),
     * rope, attention as {@code spec} says (sliding window, soft-cap), output projection.
     *
     * @param q     [qDim, dim], null when {@code qkv} is given (likewise k, v [kvDim, dim])
     * @param qkv   [qDim + 2·kvDim, dim] fused q|k|v, or null
     * @param qNorm [headDim] or null (then kNorm is null too)
     * @param o     [dim, qDim]
     */
    public record SelfAttention(Proj q, Proj k, Proj v, Proj qkv, float[] qNorm, float[] kNorm, Proj o, AttentionSpec spec) {
        public SelfAttention {
            if ((qkv == null) == (q == null || k == null || v == null) || (qNorm == null) != (kNorm == null) || o == null) {
                throw new IllegalArgumentException("attention of layer " + spec.layer() + " needs q, k, v or a fused qkv, both or neither q/k norms, and o");
            }
        }

        /** @param h [rows, dim] the normalized block input */
        public <T> T apply(DecoderOps<T> ops, T h) {
            T qs;
            T ks;
            T vs;
            if (qkv != null) {
                List<T> parts = ops.split(ops.linear(h, qkv), spec.qDim(), spec.kvDim(), spec.kvDim());
                qs = parts.get(0);
                ks = parts.get(1);
                vs = parts.get(2);
            } else {
                qs = ops.linear(h, q);
                ks = ops.linear(h, k);
                vs = ops.linear(h, v);
            }
            if (qNorm != null) {
                qs = ops.rmsNorm(qs, qNorm, spec.headDim());
                ks = ops.rmsNorm(ks, kNorm, spec.headDim());
            }
            qs = ops.rope(qs, spec.rope());
            ks = ops.rope(ks, spec.rope());
            return ops.linear(ops.attention(qs, ks, vs, spec), o);
        }
    }

    /**
     * Gated feed-forward down(act(gate·h) ⊙ up·h), with gate and up separate or fused as one projection whose
     * rows [0, ffn) are the gate and [ffn, 2·ffn) the up projection (phi3).
     *
     * @param gate   [ffn, dim], or null when {@code up} is the fused gate|up [2·ffn, dim]
     * @param down   [dim, ffn]
     */
    public record FeedForward(Proj gate, Proj up, Proj down, Activation act) {
        public FeedForward {
            if (up == null || down == null || act == null) {
                throw new IllegalArgumentException("a feed-forward block needs up, down and an activation");
            }
        }

        public <T> T apply(DecoderOps<T> ops, T h) {
            T hidden;
            if (gate != null) {
                hidden = ops.gated(ops.linear(h, gate), ops.linear(h, up), act);
            } else {
                int ffn = down.cols();
                List<T> gu = ops.split(ops.linear(h, up), ffn, ffn);
                hidden = ops.gated(gu.get(0), gu.get(1), act);
            }
            return ops.linear(hidden, down);
        }
    }

    /**
     * The pre-norm block of llama and most of its descendants:
     * h = x + attn(norm(x)); out = h + ffn(norm(h)).
     *
     * @param attnNorm [dim]
     * @param ffnNorm  [dim]
     */
    public record PreNorm(float[] attnNorm, SelfAttention attn, float[] ffnNorm, FeedForward ffn) {
        public <T> T apply(DecoderOps<T> ops, T x) {
            T h = ops.add(x, attn.apply(ops, ops.rmsNorm(x, attnNorm, attnNorm.length)));
            return ops.add(h, ffn.apply(ops, ops.rmsNorm(h, ffnNorm, ffnNorm.length)));
        }
    }

    /**
     * Gemma's sandwich block: each sub-layer's output is normalized again before its residual add,
     * h = x + postAttnNorm(attn(attnNorm(x))); out = h + postFfnNorm(ffn(ffnNorm(h))).
     *
     * @param attnNorm [dim], likewise the other norms
     */
    public record Sandwich(float[] attnNorm, SelfAttention attn, float[] postAttnNorm, float[] ffnNorm, FeedForward ffn,
                           float[] postFfnNorm) {
        public <T> T apply(DecoderOps<T> ops, T x) {
            int dim = attnNorm.length;
            T h = ops.add(x, ops.rmsNorm(attn.apply(ops, ops.rmsNorm(x, attnNorm, dim)), postAttnNorm, dim));
            return ops.add(h, ops.rmsNorm(ffn.apply(ops, ops.rmsNorm(h, ffnNorm, dim)), postFfnNorm, dim));
        }
    }
}
