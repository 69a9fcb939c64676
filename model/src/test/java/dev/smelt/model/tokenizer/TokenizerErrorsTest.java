package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.gguf.GgufFile;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad tokenizer files fail with messages naming the file and the field. Also a tiny WordPiece tokenizer.json. */
class TokenizerErrorsTest {
    @TempDir
    Path dir;

    @Test
    void malformedJsonNamesFileAndLine() throws Exception {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, "{\n \"model\": {\"type\": \"BPE\",\n  \"vocab\": {\"a\": 0,}}}");
        assertThatThrownBy(() -> Tokenizers.fromHuggingFace(p))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("line 3");
    }

    @Test
    void unsupportedModelTypeNamesField() throws Exception {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}");
        assertThatThrownBy(() -> Tokenizers.fromHuggingFace(p))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("model.type").hasMessageContaining("Unigram")
                .hasMessageContaining("BPE, WordPiece");
    }

    @Test
    void badMergeNamesIndex() throws Exception {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\", 7]}}");
        assertThatThrownBy(() -> Tokenizers.fromHuggingFace(p))
                .hasMessageContaining("model.merges[1]");
    }

    @Test
    void unknownGgufTokenizerModelListsSupported() throws Exception {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, gguf("xyz"));
        try (GgufFile f = GgufFile.open(p)) {
            assertThatThrownBy(() -> Tokenizers.fromGguf(f))
                    .isInstanceOf(TokenizerFormatException.class)
                    .hasMessageContaining(p.toString()).hasMessageContaining("tokenizer.ggml.model 'xyz'")
                    .hasMessageContaining("llama").hasMessageContaining("gpt2").hasMessageContaining("bert");
        }
    }

    @Test
    void wordPieceTokenizerJson() throws Exception {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, """
                {"normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                                "strip_accents": null, "lowercase": true},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "post_processor": {"type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                               {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                                       "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
                 "added_tokens": [{"id": 0, "content": "[UNK]", "special": true}, {"id": 1, "content": "[CLS]", "special": true},
                                  {"id": 2, "content": "[SEP]", "special": true}],
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                           "max_input_chars_per_word": 100,
                           "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "cafe": 3, "un": 4, "##aff": 5, "##able": 6,
                                     "!": 7, "中": 8, "x": 9}}}
                """);
        Tokenizer tok = Tokenizers.fromHuggingFace(p);
        // Lower-cased, accent stripped, punctuation and CJK isolated, ## continuations, unknown word → [UNK].
        assertThat(tok.encode("Café UNAFFABLE! 中 qqq", true, false)).containsExactly(1, 3, 4, 5, 6, 7, 8, 0, 2);
        assertThat(tok.decode(new int[] {4, 5, 6, 7}, true)).isEqualTo("unaffable !");
        assertThat(tok.encode("[CLS]x", false, true)).containsExactly(1, 9);
    }

    /** A minimal GGUF v3 with no tensors: tokenizer.ggml.model = model, tokenizer.ggml.tokens = ["a"]. */
    private static byte[] gguf(String model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(2);
        putString(b, "tokenizer.ggml.model");
        b.putInt(8);
        putString(b, model);
        putString(b, "tokenizer.ggml.tokens");
        b.putInt(9).putInt(8).putLong(1);
        putString(b, "a");
        out.write(b.array(), 0, b.position());
        return out.toByteArray();
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(u.length).put(u);
    }
}
