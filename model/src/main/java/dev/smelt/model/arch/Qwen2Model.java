package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/** qwen2 (Qwen2, Qwen2.5): llama's pre-norm block with required q/k/v biases and NEOX rope. */
public final class Qwen2Model extends DecoderModel {
    private final Layer[] layers;

    /** One block's tensors. */
    private record Layer(float[] attnNorm, Blocks.SelfAttention attn, float[] ffnNorm, Blocks.FeedForward ffn) {
    }

    public Qwen2Model(GgufFile file, ModelConfig config) {
        super(file, config, Rope.Kind.NEOX);
        ModelConfig c = config;
        layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            Blocks.SelfAttention attn = new Blocks.SelfAttention(projWithBias(i, "attn_q", c.dim(), c.qDim()),
                    projWithBias(i, "attn_k", c.dim(), c.kvDim()), projWithBias(i, "attn_v", c.dim(), c.kvDim()), null, null, null,
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
