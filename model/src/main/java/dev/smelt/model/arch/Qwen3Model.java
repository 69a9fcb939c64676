package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/** qwen3: llama's pre-norm block without biases, with per-head RMSNorm of q and k before rope, NEOX rope. */
public final class Qwen3Model extends DecoderModel {
    private final Blocks.PreNorm[] layers;

    public Qwen3Model(GgufFile file, ModelConfig config, Workload workload) {
        super(file, config, Rope.Kind.NEOX, workload);
        ModelConfig c = config;
        layers = new Blocks.PreNorm[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            Blocks.SelfAttention attn = new Blocks.SelfAttention(proj(i, "attn_q", c.dim(), c.qDim()), proj(i, "attn_k", c.dim(), c.kvDim()),
                    proj(i, "attn_v", c.dim(), c.kvDim()), null, norm(i, "attn_q_norm", c.headDim()), norm(i, "attn_k_norm", c.headDim()),
                    proj(i, "attn_output", c.qDim(), c.dim()), attention(i, false));
            layers[i] = new Blocks.PreNorm(norm(i, "attn_norm", c.dim()), attn, norm(i, "ffn_norm", c.dim()), gatedFfn(i, Activation.SILU));
        }
    }

    @Override
    public <T> T block(DecoderOps<T> ops, int layer, T x) {
        return layers[layer].apply(ops, x);
    }
}
