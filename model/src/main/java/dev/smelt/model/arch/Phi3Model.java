package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/**
 * phi3 (Phi-3, Phi-3.5, Phi-4-mini): fused q|k|v projection ({@code attn_qkv}) and fused gate|up
 * ({@code ffn_up} with 2·ffn rows, gate first), SwiGLU, NEOX rope. Separate q/k/v are accepted too.
 */
public final class Phi3Model extends DecoderModel {

    public Phi3Model(GgufFile file, ModelConfig config) {
        super(file, config);
    }

    @Override
    protected Rope.Kind ropeKind() {
        return Rope.Kind.NEOX;
    }

    @Override
    protected Layer loadLayer(int i) {
        ModelConfig c = config;
        Layer l = new Layer();
        l.attnNorm = vector(blk(i, "attn_norm.weight"), c.dim());
        l.wqkv = optionalLinear(blk(i, "attn_qkv.weight"), c.dim(), c.qDim() + 2 * c.kvDim());
        if (l.wqkv == null) {
            l.wq = linear(blk(i, "attn_q.weight"), c.dim(), c.qDim());
            l.wk = linear(blk(i, "attn_k.weight"), c.dim(), c.kvDim());
            l.wv = linear(blk(i, "attn_v.weight"), c.dim(), c.kvDim());
        }
        l.wo = linear(blk(i, "attn_output.weight"), c.qDim(), c.dim());
        l.ffnNorm = vector(blk(i, "ffn_norm.weight"), c.dim());
        l.wGate = optionalLinear(blk(i, "ffn_gate.weight"), c.dim(), c.ffnDim());
        l.wUp = linear(blk(i, "ffn_up.weight"), c.dim(), l.wGate == null ? 2 * c.ffnDim() : c.ffnDim());
        l.wDown = linear(blk(i, "ffn_down.weight"), c.ffnDim(), c.dim());
        return l;
    }
}
