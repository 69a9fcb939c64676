package dev.smelt.compress.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.BertGguf;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Built-in encoders (ONNX weights, tokenizer.json) → GGUF → {@code Embedders.open(file.gguf)}: the same
 * embeddings and the same tokens as the ONNX-loaded embedder, and onnxruntime's golden vectors.
 */
class BertGgufExporterTest {
    /** F32 stores the weights exactly; only summation order could differ (it does not: same kernels). */
    static final double F32_MAX_ABS_DIFF = 1e-5;
    /** F16 / BF16 / Q8_0 weights: the task's bound on each sentence's cosine with the float32 embedder. */
    static final double QUANTIZED_MIN_COSINE = 0.999;
    /** The acceptance bound against onnxruntime. */
    static final double GOLDEN_MIN_COSINE = 0.9999;
    /** Beyond the golden sentences: accents, casing, continuation pieces, CJK, digits, a long text (truncation). */
    static final List<String> EXTRA = List.of("Unaffable naïve CAFÉ résumé, isn't it?!", "tokenization of antidisestablishmentarianism",
            "3.14159 + 2,718 = 5.86; e-mail: a@b.co", "東京は日本の首都です。",
            "word ".repeat(300).strip());

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"all-minilm-l6-v2, F32", "all-minilm-l6-v2, F16", "all-minilm-l6-v2, Q8_0", "bge-small-en-v1.5, F32"})
    void roundTrips(String model, String type) throws Exception {
        roundTrip(model, GgmlType.valueOf(type));
    }

    @Tag("slow")
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"bge-small-en-v1.5, F16", "bge-small-en-v1.5, Q8_0", "all-minilm-l6-v2, BF16"})
    void quantizedRoundTripsSlow(String model, String type) throws Exception {
        roundTrip(model, GgmlType.valueOf(type));
    }

    private void roundTrip(String model, GgmlType type) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(SharedData.golden("encoder-embeddings.golden.json").toFile());
        List<String> sentences = new ArrayList<>();
        golden.get("sentences").forEach(n -> sentences.add(n.asText()));
        Path out = tmp.resolve(model + "-" + type + ".gguf");
        try (BertEmbedder onnx = Embedders.open(model, 2)) {
            BertGgufExporter.export(onnx, type, out, null);
            assertLayout(out, onnx, type);
            try (BertEmbedder gguf = Embedders.open(out.toString(), 2)) {
                assertThat(gguf.config()).isEqualTo(onnx.config());
                List<String> texts = new ArrayList<>(sentences);
                texts.addAll(EXTRA);
                for (String t : texts) {
                    assertThat(gguf.tokens(t)).as("%s tokens of '%s'", model, t).containsExactly(onnx.tokens(t));
                }
                float[][] expected = onnx.embed(texts);
                float[][] actual = gguf.embed(texts);
                for (int i = 0; i < texts.size(); i++) {
                    if (type == GgmlType.F32) {
                        Tolerances.assertClose(model + " F32 text " + i, expected[i], actual[i], F32_MAX_ABS_DIFF, 0);
                    } else {
                        assertThat(cosine(expected[i], actual[i])).as("%s %s text %d cosine", model, type, i)
                                .isGreaterThanOrEqualTo(QUANTIZED_MIN_COSINE);
                    }
                }
                JsonNode ref = golden.get("embeddings").get(model);
                for (int i = 0; i < sentences.size() && type == GgmlType.F32; i++) {
                    float[] r = new float[ref.get(i).size()];
                    for (int j = 0; j < r.length; j++) {
                        r[j] = (float) ref.get(i).get(j).asDouble();
                    }
                    assertThat(cosine(r, actual[i])).as("%s sentence %d vs onnxruntime", model, i)
                            .isGreaterThanOrEqualTo(GOLDEN_MIN_COSINE);
                }
            }
        }
    }

    /** What llama.cpp relies on: architecture, pooling code, tensor types as convert_hf_to_gguf.py chooses them, vocabulary spelling. */
    private static void assertLayout(Path out, BertEmbedder e, GgmlType type) throws Exception {
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.architecture()).isEqualTo("bert");
            assertThat(f.getLong(BertGguf.POOLING_TYPE, -1)).isEqualTo(BertGguf.poolingCode(e.config().pooling()));
            assertThat(f.getLong(BertGguf.BLOCK_COUNT, -1)).isEqualTo(e.config().layers());
            assertThat(f.tensor("token_embd.weight").type()).isEqualTo(type);
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(type);
            assertThat(f.tensor("blk.0.attn_q.weight").dims()).containsExactly(e.config().hidden(), e.config().hidden());
            assertThat(f.tensor("blk.0.ffn_up.weight").dims()).containsExactly(e.config().hidden(), e.config().intermediate());
            for (String name : List.of("position_embd.weight", "token_types.weight", "token_embd_norm.weight", "blk.0.attn_q.bias")) {
                assertThat(f.tensor(name).type()).as(name).isEqualTo(GgmlType.F32);
            }
            assertThat(f.tensors()).extracting(GgufTensorInfo::name).hasSize(5 + 16 * e.config().layers());
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            int[] types = f.getIntArray("tokenizer.ggml.token_type");
            int cls = e.tokenizer().tokenId("[CLS]").orElseThrow();
            assertThat(tokens[cls]).isEqualTo("[CLS]");
            assertThat(types[cls]).isEqualTo(BertGgufExporter.CONTROL);
            int card = e.tokenizer().tokenId("card").orElseThrow();
            assertThat(tokens[card]).isEqualTo("\u2581card");
            int ing = e.tokenizer().tokenId("##ing").orElseThrow();
            assertThat(tokens[ing]).isEqualTo("ing");
            assertThat(types[ing]).isEqualTo(BertGgufExporter.NORMAL);
        }
    }

    /** A classifier fine-tuned from a GGUF encoder is saved with tokenizer.json: converted back, it must tokenize identically. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"all-minilm-l6-v2", "bge-small-en-v1.5"})
    void ggufVocabularyWritesBackAsTokenizerJson(String model) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(SharedData.golden("encoder-embeddings.golden.json").toFile());
        List<String> texts = new ArrayList<>();
        golden.get("sentences").forEach(n -> texts.add(n.asText()));
        texts.addAll(EXTRA);
        Path out = tmp.resolve(model + ".gguf");
        Path json = tmp.resolve(model + "-tokenizer.json");
        try (BertEmbedder onnx = Embedders.open(model, 1)) {
            BertGgufExporter.export(onnx, GgmlType.F32, out, null);
            Embedders.copyTokenizer(out.toString(), json);
            var back = dev.smelt.model.tokenizer.Tokenizers.fromHuggingFace(json, null);
            for (String t : texts) {
                assertThat(back.encode(t, true, false)).as("%s tokens of '%s'", model, t)
                        .containsExactly(onnx.tokenizer().encode(t, true, false));
            }
            JsonNode written = new ObjectMapper().readTree(json.toFile());
            assertThat(written.path("truncation").path("max_length").asInt()).isEqualTo(onnx.config().maxTokens());
            assertThat(written.path("model").path("vocab").size()).isEqualTo(onnx.tokenizer().vocabSize());
        }
    }

    @Test
    void rejectsTypesTheConverterDoesNotOffer() throws Exception {
        try (BertEmbedder e = Embedders.open("all-minilm-l6-v2", 1)) {
            Path out = tmp.resolve("q4.gguf");
            assertThatThrownBy(() -> BertGgufExporter.export(e, GgmlType.Q4_K, out, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_K").hasMessageContaining("Q8_0");
            assertThat(Files.exists(out)).isFalse();
        }
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
