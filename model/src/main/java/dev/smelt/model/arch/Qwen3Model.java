package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/** qwen3: llama's block without biases, with per-head RMSNorm of q and k before rope, NEOX rope. */
public final class Qwen3Model extends LlamaModel {

    public Qwen3Model(GgufFile file, ModelConfig config) {
        super(file, config);
    }

    @Override
    protected Rope.Kind ropeKind() {
        return Rope.Kind.NEOX;
    }

    @Override
    protected Layer loadLayer(int i) {
        Layer l = super.loadLayer(i);
        l.qNorm = vector(blk(i, "attn_q_norm.weight"), config.headDim());
        l.kNorm = vector(blk(i, "attn_k_norm.weight"), config.headDim());
        return l;
    }
}
