package dev.smelt.compress.synth;

import java.util.List;

/**
 * The hyper-parameters of a real model, for writing random-weight stand-ins of the same shape (speed
 * and memory benchmarks need the shape, not the knowledge).
 *
 * @param tiedEmbeddings true when the output projection reuses token_embd (no output.weight)
 * @param qkvBias        q/k/v projections have biases (qwen2)
 * @param llama3Rope     write a rope_freqs tensor with Llama 3.x scaling factors
 */
public record ModelShape(String name, String architecture, int dim, int layers, int heads, int kvHeads, int ffn, int vocab,
                         int contextLength, float normEps, float ropeBase, boolean tiedEmbeddings, boolean qkvBias,
                         boolean llama3Rope) {

    public static final List<ModelShape> KNOWN = List.of(
            new ModelShape("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1e-6f, 1_000_000f, true, true, false),
            new ModelShape("llama3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 131072, 1e-5f, 500_000f, true, false, true),
            new ModelShape("smollm2-135m", "llama", 576, 30, 9, 3, 1536, 49152, 8192, 1e-5f, 100_000f, true, false, false));

    /** The shape called {@code name}; the error lists the known ones. */
    public static ModelShape named(String name) {
        for (ModelShape s : KNOWN) {
            if (s.name.equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown model shape '" + name + "'; known: "
                + String.join(", ", KNOWN.stream().map(ModelShape::name).toList()));
    }

    public int headDim() {
        return dim / heads;
    }
}
