package dev.smelt.cli;

import dev.smelt.model.ModelException;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds a model's tokenizer from its GGUF metadata, and reads text files for the commands. */
final class TextModels {
    private TextModels() {
    }

    static Tokenizer tokenizer(GgufFile f) throws IOException {
        if (f.getString("tokenizer.ggml.model", null) == null) {
            throw new ModelException(f.path() + ": no tokenizer in the file (metadata 'tokenizer.ggml.model' is missing)");
        }
        return Tokenizers.fromGguf(f);
    }

    /** The bytes a generated token shows as text: control tokens (EOS, chat markers) show nothing. */
    static byte[] visibleBytes(Tokenizer t, int id) {
        return t.isSpecial(id) ? new byte[0] : t.tokenBytes(id);
    }

    static String readText(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new java.nio.file.NoSuchFileException(p.toString());
        }
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
