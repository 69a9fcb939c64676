package dev.smelt.cli;

import dev.smelt.model.ModelException;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.SentencePieceTokenizer;
import dev.smelt.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds a model's tokenizer from its GGUF metadata, and reads text files for the commands. */
final class TextModels {
    private TextModels() {
    }

    static Tokenizer tokenizer(GgufFile f) {
        String model = f.getString("tokenizer.ggml.model", null);
        if (model == null) {
            throw new ModelException(f.path() + ": no tokenizer in the file (metadata 'tokenizer.ggml.model' is missing)");
        }
        return switch (model) {
            case "llama" -> new SentencePieceTokenizer(f);
            default -> throw new ModelException(f.path() + ": tokenizer model '" + model + "' is not supported yet (supported: llama)");
        };
    }

    static String readText(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new java.nio.file.NoSuchFileException(p.toString());
        }
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
