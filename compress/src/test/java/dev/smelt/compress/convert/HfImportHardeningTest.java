package dev.smelt.compress.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.testkit.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, "Model files": every size and id a Hugging Face checkpoint states is checked against what the
 * files hold before anything is allocated, each error names the file and field, and a refused conversion
 * leaves no output file behind.
 */
class HfImportHardeningTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The qwen2 tokenizer regex, which {@link HfTokenizerMetadata#preName} recognises. */
    private static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    @TempDir
    Path dir;

    private Path checkpoint(String model) throws Exception {
        Path hf = dir.resolve("hf");
        HfCheckpointWriter.write(SharedData.model(model), hf, false);
        return hf;
    }

    private void editConfig(Path hf, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(hf.resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(hf.resolve("config.json"), c.toString());
    }

    /** Converts, expecting a refusal; no output (nor temp file) may be left. */
    private String refused(Path hf) throws IOException {
        Path out = dir.resolve("out.gguf");
        try {
            HfConverter.convert(hf, out);
        } catch (IOException e) {
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s.map(p -> p.getFileName().toString())).as("files left beside the output").containsExactly("hf");
            }
            return e.getMessage();
        }
        throw new AssertionError("conversion was expected to fail");
    }

    @Test
    void hugeVocabSizeIsAnErrorNotAnOutOfMemory() throws Exception {
        Path hf = checkpoint("llama.gguf");
        editConfig(hf, c -> c.put("vocab_size", 1_000_000_000));
        assertThat(refused(hf)).contains("config.json").contains("'vocab_size' is 1000000000").contains("model.embed_tokens.weight");
    }

    @Test
    void zeroContextAndRopeFactorAreRefused() throws Exception {
        Path hf = checkpoint("llama.gguf");
        String original = Files.readString(hf.resolve("config.json"));
        editConfig(hf, c -> c.put("max_position_embeddings", 0));
        assertThat(refused(hf)).contains("config.json").contains("'max_position_embeddings' must be a positive integer");

        Files.writeString(hf.resolve("config.json"), original);
        editConfig(hf, c -> c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 0));
        assertThat(refused(hf)).contains("config.json").contains("rope_scaling.factor must be a positive number, got 0");

        Files.writeString(hf.resolve("config.json"), original);
        editConfig(hf, c -> c.put("rope_theta", 0));
        assertThat(refused(hf)).contains("'rope_theta' must be a positive number");
    }

    /** A qwen2 checkpoint whose tokenizer is a byte-level BPE tokenizer.json (the gpt2 path). */
    private Path bpeCheckpoint() throws Exception {
        Path hf = checkpoint("qwen2.gguf");
        Files.delete(hf.resolve("tokenizer.model"));
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        ArrayNode merges = model.putArray("merges");
        // 256 byte-level symbols, then 256 merges of symbol pairs: 512 tokens, the reference model's rows
        String[] bytes = byteLevelAlphabet();
        for (int i = 0; i < 256; i++) {
            vocab.put(bytes[i], i);
        }
        for (int i = 0; i < 256; i++) {
            String l = bytes['a' + i % 16];
            String r = bytes['a' + i / 16];
            merges.add(l + " " + r);
            vocab.put(l + r, 256 + i);
        }
        root.putArray("added_tokens");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode pts = pre.putArray("pretokenizers");
        pts.addObject().put("type", "Split").putObject("pattern").put("Regex", QWEN2_SPLIT);
        pts.addObject().put("type", "ByteLevel");
        writeTokenizer(hf, root);
        ObjectNode tc = (ObjectNode) JSON.readTree(hf.resolve("tokenizer_config.json").toFile());
        tc.remove(java.util.List.of("unk_token", "bos_token", "eos_token")); // config.json gives the ids
        Files.writeString(hf.resolve("tokenizer_config.json"), tc.toString());
        return hf;
    }

    /** GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards. */
    private static String[] byteLevelAlphabet() {
        String[] out = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = new String(Character.toChars(printable ? b : next++));
        }
        return out;
    }

    private static void writeTokenizer(Path hf, JsonNode root) throws IOException {
        Files.writeString(hf.resolve("tokenizer.json"), root.toString());
    }

    private static ObjectNode tokenizer(Path hf) throws IOException {
        return (ObjectNode) JSON.readTree(hf.resolve("tokenizer.json").toFile());
    }

    @Test
    void bpeTokenizerIdsAndMergesAreValidated() throws Exception {
        Path hf = bpeCheckpoint();
        Path ok = dir.resolve("ok.gguf");
        HfConverter.convert(hf, ok);
        assertThat(ok).exists();
        Files.delete(ok);
        ObjectNode original = tokenizer(hf);
        ObjectNode vocab = (ObjectNode) original.path("model").path("vocab");
        String firstPiece = vocab.fieldNames().next();

        ObjectNode t = original.deepCopy();
        ((ObjectNode) t.path("model").path("vocab")).put(firstPiece, 1_000_000_000);
        writeTokenizer(hf, t);
        assertThat(refused(hf)).contains("tokenizer.json").contains("model.vocab['" + firstPiece + "'] = 1000000000 is outside the vocabulary");

        t = original.deepCopy();
        ((ArrayNode) t.path("added_tokens")).addObject().put("id", 1_000_000_000).put("content", "<|x|>").put("special", true);
        writeTokenizer(hf, t);
        assertThat(refused(hf)).contains("added_tokens[0].id = 1000000000 is outside the vocabulary");

        t = original.deepCopy();
        ((ObjectNode) t.path("model").path("vocab")).put(firstPiece, -3);
        writeTokenizer(hf, t);
        assertThat(refused(hf)).contains("= -3 is not a token id");

        t = original.deepCopy();
        ((ObjectNode) t.path("model").path("vocab")).put(firstPiece, "7");
        writeTokenizer(hf, t);
        assertThat(refused(hf)).contains("is not a token id");

        t = original.deepCopy();
        ((ArrayNode) t.path("model").path("merges")).insert(0, "nospace");
        writeTokenizer(hf, t);
        assertThat(refused(hf)).contains("model.merges[0] = \"nospace\" is neither");

        t = original.deepCopy();
        ((ArrayNode) t.path("model").path("merges")).insert(0, "\u00a7\u00a7 zz-not-a-piece");
        writeTokenizer(hf, t);
        assertThat(refused(hf)).contains("model.merges[0]").contains("is not in model.vocab");
    }

    @Test
    void aTokenizerFarSmallerThanTheEmbeddingIsRefused() throws Exception {
        Path hf = bpeCheckpoint();
        ObjectNode t = tokenizer(hf);
        ObjectNode vocab = (ObjectNode) t.path("model").path("vocab");
        Set<String> keep = new HashSet<>();
        ObjectNode small = JSON.createObjectNode();
        var it = vocab.fields();
        while (it.hasNext() && small.size() < 100) {
            var e = it.next();
            if (e.getValue().asInt() < 100) {
                small.set(e.getKey(), e.getValue());
                keep.add(e.getKey());
            }
        }
        ((ObjectNode) t.path("model")).set("vocab", small);
        ((ObjectNode) t.path("model")).putArray("merges");
        writeTokenizer(hf, t);
        assertThat(refused(hf)).contains("tokenizer.json").contains("the tokenizer has 100 tokens but config.json's vocab_size");
    }
}
