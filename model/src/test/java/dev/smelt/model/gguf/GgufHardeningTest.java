package dev.smelt.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.ModelException;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.tensor.GgmlType;
import dev.smelt.testkit.SharedData;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, "Model files": each hostile file is a clear error (or a warning) at load, never a later crash. */
class GgufHardeningTest {
    @TempDir
    Path dir;

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("marker not found");
    }

    private Path write(byte[] bytes) throws IOException {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, bytes);
        return p;
    }

    @Test
    void invalidUtf8TokenNamesKeyIndexAndOffset() throws IOException {
        Path ok = dir.resolve("ok.gguf");
        new GgufWriter().put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, new String[] {"a", "QZ", "c"}))
                .tensor("t", new long[] {8}, GgmlType.F32, new byte[32]).write(ok);
        byte[] b = Files.readAllBytes(ok);
        int at = indexOf(b, "QZ".getBytes(StandardCharsets.US_ASCII));
        b[at] = (byte) 0xC3; // a two-byte lead followed by 'Z' (not a continuation byte)
        assertThatThrownBy(() -> GgufFile.open(write(b)).close())
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("bad.gguf")
                .hasMessageContaining("element 1 of 'tokenizer.ggml.tokens'")
                .hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("at byte offset " + at);
    }

    /** Two F32 tensors of 32 bytes each, the second at data offset 32. */
    private byte[] twoTensors(GgmlType firstType, long firstLen) throws IOException {
        Path ok = dir.resolve("two.gguf");
        int firstBytes = (int) firstType.bytesFor(firstLen);
        new GgufWriter().tensor("first", new long[] {firstLen}, firstType, new byte[firstBytes])
                .tensor("second", new long[] {8}, GgmlType.F32, new byte[32]).write(ok);
        return Files.readAllBytes(ok);
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        byte[] b = twoTensors(GgmlType.F32, 8);
        // second's info: name, n_dims (4), dims (8), type (4), offset (8)
        int offAt = indexOf(b, "second".getBytes(StandardCharsets.US_ASCII)) + 6 + 4 + 8 + 4;
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(offAt, 0);
        assertThatThrownBy(() -> GgufFile.open(write(b)).close())
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("'second'").hasMessageContaining("overlaps tensor 'first'");
    }

    @Test
    void typeIdThatDoesNotMatchTheDataIsRefused() throws IOException {
        byte[] b = twoTensors(GgmlType.F16, 16); // 32 bytes of F16; as F32 it would need 64
        int typeAt = indexOf(b, "first".getBytes(StandardCharsets.US_ASCII)) + 5 + 4 + 8;
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, GgmlType.F32.id());
        assertThatThrownBy(() -> GgufFile.open(write(b)).close())
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("type id that does not match the data");
    }

    @Test
    void safetensorsShapeOverflowIsAClearError() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}";
        Path p = dir.resolve("big.safetensors");
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        Files.write(p, buf.array());
        assertThatThrownBy(() -> SafetensorsFile.open(p).close())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("big.safetensors").hasMessageContaining("tensor 'w'").hasMessageContaining("64 bits");
    }

    @Test
    void overlappingSafetensorsAreRefused() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        Path p = dir.resolve("overlap.safetensors");
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 12).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        Files.write(p, buf.array());
        assertThatThrownBy(() -> SafetensorsFile.open(p).close())
                .isInstanceOf(IOException.class).hasMessageContaining("overlap");
    }

    /** A copy of a reference model with some metadata replaced and optionally one tensor's bytes edited. */
    private Path variant(Map<String, GgufValue> overrides, String poisonTensor) throws IOException {
        Path src = SharedData.model("llama.gguf");
        Path out = dir.resolve("variant.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            overrides.forEach(w::put);
            for (GgufTensorInfo t : f.tensors()) {
                byte[] data = f.tensorData(t).toArray(ValueLayout.JAVA_BYTE);
                if (t.name().equals(poisonTensor)) {
                    assertThat(t.type()).isEqualTo(GgmlType.F32);
                    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(4 * 3, Float.NaN);
                }
                w.tensor(t.name(), t.dims(), t.type(), MemorySegment.ofArray(data));
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void vocabularySmallerThanEmbeddingRowsFailsAtLoad() throws IOException {
        String[] tokens;
        try (GgufFile f = GgufFile.open(SharedData.model("llama.gguf"))) {
            tokens = f.getStringArray("tokenizer.ggml.tokens");
        }
        String[] fewer = java.util.Arrays.copyOf(tokens, tokens.length - 10);
        Path p = variant(Map.of("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, fewer)), null);
        assertThatThrownBy(() -> Models.load(p).close())
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("tokenizer.ggml.tokens has " + fewer.length + " entries")
                .hasMessageContaining("token_embd.weight has " + tokens.length + " rows");
    }

    /** Found while building a test model: a BYTE-typed token whose piece is not <0xNN> failed with "For input string". */
    @Test
    void byteTokenWhosePieceIsNotAByteIsNamed() throws IOException {
        String[] tokens;
        try (GgufFile f = GgufFile.open(SharedData.model("llama.gguf"))) {
            tokens = f.getStringArray("tokenizer.ggml.tokens").clone();
        }
        int i = java.util.Arrays.asList(tokens).indexOf("<0xE4>");
        assertThat(i).isPositive();
        tokens[i] = "[unused]";
        Path p = variant(Map.of("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens)), null);
        assertThatThrownBy(() -> {
            try (GgufFile f = GgufFile.open(p)) {
                dev.smelt.model.tokenizer.Tokenizers.fromGguf(f);
            }
        }).isInstanceOf(IOException.class).hasMessageContaining(p.toString())
                .hasMessageContaining("tokenizer.ggml.tokens[" + i + "] = '[unused]' has tokenizer.ggml.token_type BYTE");
    }

    @Test
    void zeroContextLengthNamesTheMetadataKeyNotCtx() throws IOException {
        Path p = variant(Map.of("llama.context_length", GgufValue.uint32(0)), null);
        assertThatThrownBy(() -> Models.load(p).close())
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("llama.context_length")
                .hasMessageNotContaining("--ctx");
    }

    @Test
    void hugeArchitectureStringIsCutInTheError() throws IOException {
        Path p = variant(Map.of("general.architecture", GgufValue.string("x".repeat(10_000_000))), null);
        assertThatThrownBy(() -> Models.load(p).close())
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("is not supported")
                .hasMessageContaining("(10000000 characters)")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(1000));
    }

    @Test
    void nanWeightsAndZeroRopeBaseWarnAtLoad() throws IOException {
        String poison;
        try (GgufFile f = GgufFile.open(SharedData.model("llama.gguf"))) {
            poison = f.tensors().stream().filter(t -> t.type() == GgmlType.F32).findFirst().orElseThrow().name();
        }
        Path p = variant(Map.of("llama.rope.freq_base", GgufValue.float32(0f)), poison);
        List<String> warnings = new ArrayList<>();
        try (DecoderModel m = Models.load(p, warnings::add)) {
            assertThat(m).isNotNull();
        }
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("llama.rope.freq_base is 0.0"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("NaN or Inf").contains(poison + " (1 non-finite, first at element 3)"));
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(TensorScan.nonFinite(f)).extracting(TensorScan.NonFinite::tensor).containsExactly(poison);
        }
    }

    @Test
    void referenceModelsLoadWithoutWarnings() throws IOException {
        for (String name : List.of("llama.gguf", "qwen2-Q4_K_M.gguf", "gemma3-Q8_0.gguf", "phi3-Q4_K_M.gguf", "qwen3.gguf", "llama-IQ4_XS.gguf")) {
            List<String> warnings = new ArrayList<>();
            try (DecoderModel m = Models.load(SharedData.model(name), warnings::add)) {
                assertThat(warnings).as(name).isEmpty();
            }
        }
    }

    @Test
    void deeplyNestedTokenizerJsonIsAClearError() throws IOException {
        for (String where : List.of("{\"normalizer\":", "{\"model\":{\"x\":")) {
            Path p = dir.resolve("tokenizer.json");
            Files.writeString(p, where + "[".repeat(5000) + "]".repeat(5000) + "}" + (where.contains("model") ? "}" : ""));
            assertThatThrownBy(() -> dev.smelt.model.tokenizer.Tokenizers.fromHuggingFace(p))
                    .isInstanceOf(dev.smelt.model.tokenizer.TokenizerFormatException.class)
                    .hasMessageContaining("tokenizer.json").hasMessageContaining("nesting depth");
        }
    }

    @Test
    void hugeOrNegativeTokenizerJsonIdsAreErrorsNotOutOfMemory() throws IOException {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1000000000}, \"merges\": []}}");
        assertThatThrownBy(() -> dev.smelt.model.tokenizer.Tokenizers.fromHuggingFace(p))
                .isInstanceOf(dev.smelt.model.tokenizer.TokenizerFormatException.class)
                .hasMessageContaining("model.vocab['b'] = 1000000000 is far beyond the 2 entries");
        Files.writeString(p, "{\"added_tokens\": [{\"id\": -1, \"content\": \"<x>\"}], "
                + "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        assertThatThrownBy(() -> dev.smelt.model.tokenizer.Tokenizers.fromHuggingFace(p))
                .isInstanceOf(dev.smelt.model.tokenizer.TokenizerFormatException.class)
                .hasMessageContaining("added_tokens[0].id = -1 is not a token id");
    }
}
