package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/**
 * phi3 (Phi-3, Phi-3.5, Phi-4-mini): pre-norm blocks with a fused q|k|v projection ({@code attn_qkv})
 * and a fused gate|up ({@code ffn_up} with 2·ffn rows, gate first), SwiGLU, NEOX rope. Separate
 * q/k/v and gate/up are accepted too. The fused projections are declared as their slices, so LoRA
 * adapts q, k, v, gate and up each on its own rows, as on the other architectures.
 */
public final class Phi3Model extends DecoderModel {
    private final Blocks.PreNorm[] layers;

    public Phi3Model(GgufFile file, ModelConfig config, Workload workload) {
        super(file, config, Rope.Kind.NEOX, workload);
        ModelConfig c = config;
        layers = new Blocks.PreNorm[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            Blocks.SelfAttention attn = has(i, "attn_qkv")
                    ? new Blocks.SelfAttention(null, null, null, fused(i, "attn_qkv", c.dim(), new String[] {"attn_q", "attn_k", "attn_v"},
                            new int[] {c.qDim(), c.kvDim(), c.kvDim()}), null, null, proj(i, "attn_output", c.qDim(), c.dim()), attention(i, false))
                    : new Blocks.SelfAttention(proj(i, "attn_q", c.dim(), c.qDim()), proj(i, "attn_k", c.dim(), c.kvDim()),
                            proj(i, "attn_v", c.dim(), c.kvDim()), null, null, null, proj(i, "attn_output", c.qDim(), c.dim()), attention(i, false));
            Blocks.FeedForward ffn = has(i, "ffn_gate") ? gatedFfn(i, Activation.SILU)
                    : new Blocks.FeedForward(null, fused(i, "ffn_up", c.dim(), new String[] {"ffn_gate", "ffn_up"}, new int[] {c.ffnDim(), c.ffnDim()}),
                            proj(i, "ffn_down", c.ffnDim(), c.dim()), Activation.SILU);
            layers[i] = new Blocks.PreNorm(norm(i, "attn_norm", c.dim()), attn, norm(i, "ffn_norm", c.dim()), ffn);
        }
    }

    @Override
    public <T> T block(DecoderOps<T> ops, int layer, T x) {
        return layers[layer].apply(ops, x);
    }
}
