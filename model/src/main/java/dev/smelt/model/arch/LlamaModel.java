package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/**
 * llama (Llama 1–3.x, Mistral, SmolLM, …): RMSNorm, separate q/k/v/o, SwiGLU, NORM rope (adjacent
 * pairs), optional llama3 {@code rope_freqs} factors. Also the base of the variants below.
 */
public class LlamaModel extends DecoderModel {

    public LlamaModel(GgufFile file, ModelConfig config) {
        super(file, config);
    }

    @Override
    protected Rope.Kind ropeKind() {
        return Rope.Kind.NORM;
    }

    @Override
    protected Layer loadLayer(int i) {
        ModelConfig c = config;
        Layer l = new Layer();
        l.attnNorm = vector(blk(i, "attn_norm.weight"), c.dim());
        l.wq = linear(blk(i, "attn_q.weight"), c.dim(), c.qDim());
        l.wk = linear(blk(i, "attn_k.weight"), c.dim(), c.kvDim());
        l.wv = linear(blk(i, "attn_v.weight"), c.dim(), c.kvDim());
        l.bq = optionalVector(blk(i, "attn_q.bias"), c.qDim());
        l.bk = optionalVector(blk(i, "attn_k.bias"), c.kvDim());
        l.bv = optionalVector(blk(i, "attn_v.bias"), c.kvDim());
        l.wo = linear(blk(i, "attn_output.weight"), c.qDim(), c.dim());
        l.ffnNorm = vector(blk(i, "ffn_norm.weight"), c.dim());
        l.wGate = linear(blk(i, "ffn_gate.weight"), c.dim(), c.ffnDim());
        l.wUp = linear(blk(i, "ffn_up.weight"), c.dim(), c.ffnDim());
        l.wDown = linear(blk(i, "ffn_down.weight"), c.ffnDim(), c.dim());
        return l;
    }
}
