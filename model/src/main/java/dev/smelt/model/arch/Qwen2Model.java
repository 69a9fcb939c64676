package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/** qwen2 (Qwen2, Qwen2.5): llama's block with q/k/v biases and NEOX rope. */
public final class Qwen2Model extends LlamaModel {

    public Qwen2Model(GgufFile file, ModelConfig config) {
        super(file, config);
    }

    @Override
    protected Rope.Kind ropeKind() {
        return Rope.Kind.NEOX;
    }

    @Override
    protected Layer loadLayer(int i) {
        Layer l = super.loadLayer(i);
        if (l.bq == null || l.bk == null || l.bv == null) {
            throw new dev.smelt.model.ModelException(file.path() + ": qwen2 block " + i + " lacks attn_q/k/v.bias tensors");
        }
        return l;
    }
}
