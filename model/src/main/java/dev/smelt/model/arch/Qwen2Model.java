package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/** qwen2 (Qwen2, Qwen2.5): llama's pre-norm block with required q/k/v biases and NEOX rope. */
public final class Qwen2Model extends DecoderModel {
    private final Blocks.PreNorm[] layers;

    public Qwen2Model(GgufFile file, ModelConfig config, Workload workload) {
        super(file, config, Rope.Kind.NEOX, workload);
        ModelConfig c = config;
        layers = new Blocks.PreNorm[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            Blocks.SelfAttention attn = new Blocks.SelfAttention(projWithBias(i, "attn_q", c.dim(), c.qDim()),
                    projWithBias(i, "attn_k", c.dim(), c.kvDim()), projWithBias(i, "attn_v", c.dim(), c.kvDim()), null, null, null,
                    proj(i, "attn_output", c.qDim(), c.dim()), attention(i, false));
            layers[i] = new Blocks.PreNorm(norm(i, "attn_norm", c.dim()), attn, norm(i, "ffn_norm", c.dim()), gatedFfn(i, Activation.SILU));
        }
    }

    @Override
    public <T> T block(DecoderOps<T> ops, int layer, T x) {
        return layers[layer].apply(ops, x);
    }
}
