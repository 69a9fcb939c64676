package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/**
 * llama (Llama 1–3.x, Mistral, SmolLM, …): pre-norm blocks, separate q/k/v/o, SwiGLU, NORM rope
 * (adjacent pairs), optional llama3 {@code rope_freqs} factors and optional q/k/v biases.
 */
public final class LlamaModel extends DecoderModel {
    private final Blocks.PreNorm[] layers;

    public LlamaModel(GgufFile file, ModelConfig config, Workload workload) {
        super(file, config, Rope.Kind.NORM, workload);
        ModelConfig c = config;
        layers = new Blocks.PreNorm[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            boolean bias = file.tensor(blk(i, "attn_q.bias")) != null;
            Blocks.SelfAttention attn = new Blocks.SelfAttention(
                    bias ? projWithBias(i, "attn_q", c.dim(), c.qDim()) : proj(i, "attn_q", c.dim(), c.qDim()),
                    bias ? projWithBias(i, "attn_k", c.dim(), c.kvDim()) : proj(i, "attn_k", c.dim(), c.kvDim()),
                    bias ? projWithBias(i, "attn_v", c.dim(), c.kvDim()) : proj(i, "attn_v", c.dim(), c.kvDim()),
                    null, null, null, proj(i, "attn_output", c.qDim(), c.dim()), attention(i, false));
            layers[i] = new Blocks.PreNorm(norm(i, "attn_norm", c.dim()), attn, norm(i, "ffn_norm", c.dim()), gatedFfn(i, Activation.SILU));
        }
    }

    @Override
    public <T> T block(DecoderOps<T> ops, int layer, T x) {
        return layers[layer].apply(ops, x);
    }
}
