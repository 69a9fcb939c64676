package dev.smelt.compress.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Hugging Face checkpoint → GGUF, checked by round trip through the reference F32 models. */
class HfConverterTest {
    /**
     * Same bytes and same configuration give the same logits up to the order of the Vector API's lane
     * reductions, which differs between interpreted and JIT-compiled code (seen: 3e-7 relative on the
     * first model run in a JVM); 0 once both are compiled.
     */
    static final double LOGIT_REL = 1e-5;

    @ParameterizedTest(name = "{0} sharded={1}")
    @CsvSource({"llama, false", "llama, true", "qwen2, false", "qwen3, true"})
    void roundTripGivesByteIdenticalTensorsAndIdenticalLogits(String model, boolean sharded, @TempDir Path dir) throws Exception {
        Path ref = SharedData.model(model + ".gguf");
        Path hf = dir.resolve("hf");
        HfCheckpointWriter.write(ref, hf, sharded);
        Path out = dir.resolve("back.gguf");
        HfConverter.convert(hf, out);
        try (GgufFile a = GgufFile.open(ref); GgufFile b = GgufFile.open(out)) {
            assertThat(b.tensors().stream().map(GgufTensorInfo::name).sorted().toList())
                    .isEqualTo(a.tensors().stream().map(GgufTensorInfo::name).sorted().toList());
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo u = b.tensor(t.name());
                assertThat(u.type()).as(t.name()).isEqualTo(t.type());
                assertThat(u.dims()).as(t.name()).containsExactly(t.dims());
                assertThat(b.tensorData(u).toArray(ValueLayout.JAVA_BYTE)).as("bytes of %s", t.name())
                        .isEqualTo(a.tensorData(t).toArray(ValueLayout.JAVA_BYTE));
            }
            for (String k : new String[] {"tokenizer.ggml.tokens"}) {
                assertThat(b.getStringArray(k)).isEqualTo(a.getStringArray(k));
            }
            assertThat(b.getFloatArray("tokenizer.ggml.scores")).isEqualTo(a.getFloatArray("tokenizer.ggml.scores"));
            assertThat(b.getIntArray("tokenizer.ggml.token_type")).isEqualTo(a.getIntArray("tokenizer.ggml.token_type"));
            for (String k : new String[] {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id"}) {
                assertThat(b.getLong(k, -1)).as(k).isEqualTo(a.getLong(k, -2));
            }
            assertThat(b.getString("tokenizer.ggml.model", null)).isEqualTo("llama");
            assertThat(b.getString("tokenizer.chat_template", null)).contains("messages");
        }
        try (DecoderModel ma = Models.load(ref); DecoderModel mb = Models.load(out); ThreadPool pool = new ThreadPool(2)) {
            int[] tokens = {1, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100};
            float[] la = ma.forward(pool, tokens, tokens.length, ma.newCache(16), true);
            float[] lb = mb.forward(pool, tokens, tokens.length, mb.newCache(16), true);
            assertThat(mb.config()).as("model configuration read back").isEqualTo(ma.config());
            double max = 0;
            double worst = 0;
            int at = 0;
            for (int i = 0; i < la.length; i++) {
                max = Math.max(max, Math.abs(la[i]));
                if (Math.abs(la[i] - lb[i]) > worst) {
                    worst = Math.abs(la[i] - lb[i]);
                    at = i;
                }
            }
            assertThat(worst / max).as("logit %d: reference %s, converted %s", at, la[at], lb[at]).isLessThanOrEqualTo(LOGIT_REL);
            Tokenizer t = Tokenizers.fromGguf(mb.file());
            assertThat(t.encode("ROMEO: hello", true, false)).isEqualTo(Tokenizers.fromGguf(ma.file()).encode("ROMEO: hello", true, false));
        }
    }

    /** The row permutation is its own contract: a head's rows [a0..a3 | b0..b3] become a0 b0 a1 b1 … . */
    @Test
    void llamaPermutationInterleavesTheHalvesOfEachHead() {
        float[] hf = new float[16]; // 2 heads × 8 rows, 1 column
        for (int i = 0; i < 16; i++) {
            hf[i] = i;
        }
        float[] g = HfConverter.permuteFloats(hf, 2);
        assertThat(g).containsExactly(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
        assertThat(HfCheckpointWriter.unpermute(g, 16, 1, 2)).containsExactly(hf);
    }

    /** tokenizer.json (byte-level BPE) → GGUF gpt2 vocab; the GGUF tokenizer reproduces llama.cpp's vectors. */
    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen3"})
    void bpeTokenizerJsonBecomesAGgufVocabThatTokenizesLikeLlamaCpp(String name, @TempDir Path dir) throws Exception {
        Path src = SharedData.require("reference/tokenizers/hf/" + name);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(src.resolve("tokenizer.json.gz")))) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.copy(src.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        GgufWriter w = new GgufWriter().putAll(HfTokenizerMetadata.read(dir, -1, null));
        Path gguf = dir.resolve("vocab.gguf");
        w.write(gguf);
        try (GgufFile f = GgufFile.open(gguf)) {
            assertThat(f.getString("tokenizer.ggml.pre", null)).isEqualTo(name.equals("llama3") ? "llama-bpe" : "qwen2");
            assertThat(f.getString("tokenizer.chat_template", null)).isNotBlank();
            Tokenizer t = Tokenizers.fromGguf(f);
            String raw = Files.readString(src.resolve("cases.inp"), StandardCharsets.UTF_8);
            List<String> texts = new ArrayList<>(Arrays.asList(raw.split(java.util.regex.Pattern.quote("\n__ggml_vocab_test__\n"), -1)));
            if (texts.getLast().isEmpty()) {
                texts.removeLast();
            }
            List<String> lines = Files.readAllLines(src.resolve("cases.out"));
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String l = lines.get(i).trim();
                int[] want = l.isEmpty() ? new int[0] : Arrays.stream(l.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                int[] got = t.encode(texts.get(i), false, false);
                if (!Arrays.equals(got, want)) {
                    failures.add("case " + i + ": want " + Arrays.toString(want) + " got " + Arrays.toString(got));
                }
            }
            assertThat(failures).as("%s: %d of %d cases", name, failures.size(), texts.size()).isEmpty();
            int eos = (int) f.getLong("tokenizer.ggml.eos_token_id", -1);
            assertThat(f.getStringArray("tokenizer.ggml.tokens")[eos]).startsWith("<|");
        }
    }

    @Test
    void badCheckpointsNameTheFileAndField(@TempDir Path dir) throws Exception {
        Path hf = dir.resolve("hf");
        HfCheckpointWriter.write(SharedData.model("qwen2.gguf"), hf, false);
        ObjectMapper json = new ObjectMapper();
        Path cfg = hf.resolve("config.json");
        String original = Files.readString(cfg);

        ObjectNode c = (ObjectNode) json.readTree(original);
        c.putArray("architectures").add("GPT2LMHeadModel");
        Files.writeString(cfg, c.toString());
        assertThatThrownBy(() -> HfConverter.convert(hf, dir.resolve("x.gguf")))
                .hasMessageContaining("config.json").hasMessageContaining("architectures[0] = 'GPT2LMHeadModel'");

        c = (ObjectNode) json.readTree(original);
        c.put("intermediate_size", 640);
        Files.writeString(cfg, c.toString());
        assertThatThrownBy(() -> HfConverter.convert(hf, dir.resolve("x.gguf")))
                .hasMessageContaining("model.safetensors").hasMessageContaining("mlp.")
                .hasMessageContaining("intermediate_size").hasMessageContaining("640");

        c = (ObjectNode) json.readTree(original);
        c.remove("rms_norm_eps");
        Files.writeString(cfg, c.toString());
        assertThatThrownBy(() -> HfConverter.convert(hf, dir.resolve("x.gguf")))
                .hasMessageContaining("config.json").hasMessageContaining("'rms_norm_eps'");

        Files.writeString(cfg, "{\"architectures\": [");
        assertThatThrownBy(() -> HfConverter.convert(hf, dir.resolve("x.gguf")))
                .hasMessageContaining("config.json").hasMessageContaining("line 1");

        Files.delete(cfg);
        assertThatThrownBy(() -> HfConverter.convert(hf, dir.resolve("x.gguf")))
                .hasMessageContaining("config.json").hasMessageContaining("not found");
        assertThat(dir.resolve("x.gguf")).doesNotExist();
    }

    @Test
    void llama3RopeScalingFactors() {
        // Llama 3.2 1B: head_dim 64, theta 500000, factor 32, low 1, high 4, original context 8192
        float[] f = RopeScaling.llama3(64, 500000, 32, 1, 4, 8192);
        assertThat(f).hasSize(32);
        assertThat(f[0]).isEqualTo(1f);   // highest frequency: wavelength 2π < 2048
        assertThat(f[31]).isEqualTo(32f); // lowest frequency: wavelength ≫ 8192
        for (int i = 1; i < f.length; i++) {
            assertThat(f[i]).isGreaterThanOrEqualTo(f[i - 1]);
        }
    }
}
