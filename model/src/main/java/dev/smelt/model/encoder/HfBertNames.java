package dev.smelt.model.encoder;

import java.util.function.Function;

/**
 * Builds {@link BertWeights} from tensors named as Hugging Face's {@code BertModel} names them
 * ({@code embeddings.word_embeddings.weight}, {@code encoder.layer.N.attention.self.query.weight}, …),
 * whichever file format supplied them. Linear weights must be given in PyTorch's [out, in] layout. Stateless.
 */
final class HfBertNames {
    private HfBertNames() {
    }

    /** @param tensor name → values (row-major), or an exception naming the missing tensor */
    static BertWeights build(BertConfig c, Function<String, float[]> tensor) {
        BertWeights.Block[] blocks = new BertWeights.Block[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String p = "encoder.layer." + i + ".";
            blocks[i] = new BertWeights.Block(
                    linear(p + "attention.self.query.weight", c.hidden(), c.hidden(), tensor),
                    tensor.apply(p + "attention.self.query.bias"),
                    linear(p + "attention.self.key.weight", c.hidden(), c.hidden(), tensor),
                    tensor.apply(p + "attention.self.key.bias"),
                    linear(p + "attention.self.value.weight", c.hidden(), c.hidden(), tensor),
                    tensor.apply(p + "attention.self.value.bias"),
                    linear(p + "attention.output.dense.weight", c.hidden(), c.hidden(), tensor),
                    tensor.apply(p + "attention.output.dense.bias"),
                    tensor.apply(p + "attention.output.LayerNorm.weight"),
                    tensor.apply(p + "attention.output.LayerNorm.bias"),
                    linear(p + "intermediate.dense.weight", c.intermediate(), c.hidden(), tensor),
                    tensor.apply(p + "intermediate.dense.bias"),
                    linear(p + "output.dense.weight", c.hidden(), c.intermediate(), tensor),
                    tensor.apply(p + "output.dense.bias"),
                    tensor.apply(p + "output.LayerNorm.weight"),
                    tensor.apply(p + "output.LayerNorm.bias"));
        }
        float[] types = tensor.apply("embeddings.token_type_embeddings.weight");
        return new BertWeights(c, tensor.apply("embeddings.word_embeddings.weight"),
                tensor.apply("embeddings.position_embeddings.weight"), types,
                tensor.apply("embeddings.LayerNorm.weight"), tensor.apply("embeddings.LayerNorm.bias"), blocks);
    }

    /** A dense F32 projection, repacked for the tensor module's {@link dev.smelt.tensor.PackedGemm} kernel. */
    static PackedLinear linear(String name, int rows, int cols, Function<String, float[]> tensor) {
        float[] w = tensor.apply(name);
        if (w.length != (long) rows * cols) {
            throw new IllegalArgumentException(name + ": expected [" + rows + ", " + cols + "] = " + (long) rows * cols
                    + " values, got " + w.length);
        }
        return new PackedLinear(name, w, rows, cols);
    }
}
