package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/** qwen3: llama's pre-norm block without biases, with per-head RMSNorm of q and k before rope, NEOX rope. */
public final class Qwen3Model extends DecoderModel {
    private final Layer[] layers;

    /** One block's tensors. */
    private record Layer(float[] attnNorm, Blocks.SelfAttention attn, float[] ffnNorm, Blocks.FeedForward ffn) {
    }

    public Qwen3Model(GgufFile file, ModelConfig config) {
        super(file, config, Rope.Kind.NEOX);
        ModelConfig c = config;
        layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            Blocks.SelfAttention attn = new Blocks.SelfAttention(proj(i, "attn_q", c.dim(), c.qDim()), proj(i, "attn_k", c.dim(), c.kvDim()),
                    proj(i, "attn_v", c.dim(), c.kvDim()), null, norm(i, "attn_q_norm", c.headDim()), norm(i, "attn_k_norm", c.headDim()),
                    proj(i, "attn_output", c.qDim(), c.dim()), attention(i, false));
            Blocks.FeedForward ffn = new Blocks.FeedForward(proj(i, "ffn_gate", c.dim(), c.ffnDim()), proj(i, "ffn_up", c.dim(), c.ffnDim()),
                    proj(i, "ffn_down", c.ffnDim(), c.dim()), Activation.SILU);
            layers[i] = new Layer(norm(i, "attn_norm", c.dim()), attn, norm(i, "ffn_norm", c.dim()), ffn);
        }
    }

    @Override
    public <T> T block(DecoderOps<T> ops, int layer, T x) {
        Layer w = layers[layer];
        return Blocks.preNorm(ops, x, w.attnNorm, w.attn, w.ffnNorm, w.ffn);
    }
}
