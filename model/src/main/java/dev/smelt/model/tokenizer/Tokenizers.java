package dev.smelt.model.tokenizer;

import dev.smelt.model.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Path;

/** Factories for {@link Tokenizer}s. Stateless and thread-safe. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /** The tokenizer described by a GGUF file's {@code tokenizer.ggml.*} metadata, as llama.cpp builds it. */
    public static Tokenizer fromGguf(GgufFile file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        return GgufTokenizerLoader.load(file);
    }

    /**
     * A Hugging Face {@code tokenizer.json} (plain or {@code .gz}); a {@code tokenizer_config.json} next to it
     * supplies add_bos_token/add_eos_token and the bos/eos names when present.
     */
    public static Tokenizer fromHuggingFace(Path tokenizerJson) throws IOException {
        if (tokenizerJson == null) {
            throw new IllegalArgumentException("tokenizerJson must not be null");
        }
        Path config = tokenizerJson.resolveSibling("tokenizer_config.json");
        return HuggingFaceTokenizerLoader.load(tokenizerJson, config.toFile().isFile() ? config : null);
    }

    /** A Hugging Face {@code tokenizer.json} with an explicit {@code tokenizer_config.json} (may be null). */
    public static Tokenizer fromHuggingFace(Path tokenizerJson, Path tokenizerConfig) throws IOException {
        if (tokenizerJson == null) {
            throw new IllegalArgumentException("tokenizerJson must not be null");
        }
        return HuggingFaceTokenizerLoader.load(tokenizerJson, tokenizerConfig);
    }

    /**
     * A WordPiece tokenizer as a Hugging Face {@code tokenizer.json} document (GGUF spellings converted back),
     * truncating at {@code maxLength} tokens (≤ 0: no truncation).
     *
     * @throws IllegalArgumentException when {@code t} is not a WordPiece tokenizer or its pieces collide
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode toHuggingFaceJson(Tokenizer t, int maxLength, String source) {
        if (!(t instanceof WordPieceTokenizer w)) {
            throw new IllegalArgumentException(source + ": only WordPiece (BERT) tokenizers can be written as tokenizer.json, got "
                    + (t == null ? "null" : t.getClass().getSimpleName()));
        }
        return WordPieceJson.of(w, maxLength, source);
    }
}
