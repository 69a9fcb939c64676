package dev.smelt.cli;

import dev.smelt.model.encoder.Embedders;
import picocli.CommandLine.Option;

/** The embedding model and its batch: {@code smelt embed} and {@code smelt spark embed}. */
final class EmbedderOptions {
    @Option(names = {"-m", "--model"}, defaultValue = Embedders.DEFAULT,
            description = "Built-in all-minilm-l6-v2 or bge-small-en-v1.5, a llama.cpp bert .gguf, an .onnx file or a Hugging Face BERT directory (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--batch", defaultValue = "32", description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    int batch() {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        return batch;
    }
}
