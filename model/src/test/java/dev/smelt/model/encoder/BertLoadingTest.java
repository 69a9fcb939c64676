package dev.smelt.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.onnx.OnnxFormatException;
import dev.smelt.model.onnx.OnnxModel;
import dev.smelt.model.safetensors.SafetensorsWriter;
import dev.smelt.testkit.SharedData;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading paths besides the built-in ONNX resources, and their errors. */
class BertLoadingTest {
    /** Differences between the Vector API's interpreted and compiled reductions on a unit-length embedding. */
    static final float JIT_TIER_TOLERANCE = 1e-6f;

    static final double MIN_COSINE = EncoderGoldenTest.MIN_COSINE;

    /**
     * Re-exports all-MiniLM-L6-v2's ONNX weights as a Hugging Face directory (config.json, model.safetensors,
     * tokenizer.json, sentence-transformers pooling files) and checks that directory reproduces onnxruntime's vectors.
     */
    @Test
    void huggingFaceSafetensorsDirectoryMatchesOnnxRuntime(@TempDir Path dir) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(SharedData.golden("encoder-embeddings.golden.json").toFile());
        SafetensorsWriter w = new SafetensorsWriter();
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx");
             OnnxModel m = OnnxModel.read("all-minilm-l6-v2.onnx", in)) {
            for (Map.Entry<String, float[]> e : OnnxBertLoader.matmulWeights(m).entrySet()) {
                float[] v = e.getValue();
                String biasName = e.getKey().replace(".weight", ".bias");
                long out = m.initializer(biasName).dims()[0];
                w.f32(e.getKey(), new long[] {out, v.length / out}, v);
            }
            for (OnnxModel.Initializer t : m.initializers().values()) {
                if (t.dataType() == OnnxModel.FLOAT && !t.name().startsWith("onnx::")) {
                    w.f32(t.name(), t.dims(), t.floats());
                }
            }
        }
        w.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "bert", "hidden_act": "gelu", "vocab_size": 30522, "hidden_size": 384,
                 "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
                 "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12}""");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_cls_token\": false}");
        Files.writeString(dir.resolve("modules.json"), "[{\"type\": \"sentence_transformers.models.Pooling\"},"
                + " {\"type\": \"sentence_transformers.models.Normalize\"}]");
        List<String> sentences = new ArrayList<>();
        golden.get("sentences").forEach(n -> sentences.add(n.asText()));
        try (BertEmbedder e = Embedders.open(dir.toString(), 2)) {
            assertThat(e.config().pooling()).isEqualTo(Pooling.MEAN);
            float[][] v = e.embed(sentences);
            for (int i = 0; i < v.length; i++) {
                double cos = EncoderGoldenTest.cosine(golden.get("embeddings").get("all-minilm-l6-v2").get(i), v[i]);
                assertThat(cos).as("sentence %d cosine %.7f", i, cos).isGreaterThanOrEqualTo(MIN_COSINE);
            }
        }
    }

    /**
     * Long texts keep their first maxTokens − 2 word pieces, as onnxruntime's pipeline does (tokenizer.json
     * truncation 128 for MiniLM; 512 for bge, DJL's default): appending text past the limit changes nothing.
     */
    @Test
    void longTextsAreTruncatedLikeTheReference() throws Exception {
        try (BertEmbedder minilm = Embedders.open("all-minilm-l6-v2", 1); BertEmbedder bge = Embedders.open("bge-small-en-v1.5", 1)) {
            assertThat(minilm.config().maxTokens()).isEqualTo(128);
            assertThat(bge.config().maxTokens()).isEqualTo(512);
            String longText = "banking ".repeat(700);
            assertThat(minilm.countTokens(longText)).isEqualTo(128);
            assertThat(bge.countTokens(longText)).isEqualTo(512);
            assertThat(bge.countTokens("banking banking")).isEqualTo(4);
            float[][] v = minilm.embed(List.of(longText, longText + " something else entirely"));
            // same tokens, same vector up to rounding: reduceLanes(ADD) sums in another order interpreted than
            // C2-compiled, and a fast load (the derived-weights cache) can start embedding before C2 takes over
            assertThat(v[1]).containsExactly(v[0], org.assertj.core.data.Offset.offset(JIT_TIER_TOLERANCE));
            double norm = 0;
            for (float f : v[0]) {
                norm += f * f;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void clearErrorsForUnknownModelsAndGraphs(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Embedders.open("nomic-embed-text", 1)).hasMessageContaining("neither a built-in name")
                .hasMessageContaining("all-minilm-l6-v2");
        Path onnx = dir.resolve("m.onnx");
        Files.write(onnx, new byte[] {0x08, 0x08});
        assertThatThrownBy(() -> Embedders.open(onnx.toString(), 1)).hasMessageContaining("no tokenizer.json next to the model");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        assertThatThrownBy(() -> Embedders.open(onnx.toString(), 1)).isInstanceOf(OnnxFormatException.class)
                .hasMessageContaining("has no graph");
        byte[] notBert = dev.smelt.model.onnx.OnnxModelTestAccess.tinyModel();
        try (OnnxModel m = OnnxModel.parse("tiny.onnx", MemorySegment.ofArray(notBert), null)) {
            assertThatThrownBy(() -> OnnxBertLoader.load(m, 0, 1e-12f, Pooling.MEAN, true, 512))
                    .hasMessageContaining("tiny.onnx: cannot name the weight 'W' of MatMul node '/MatMul'");
        }
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"roberta\"}");
        Files.write(dir.resolve("model.safetensors"), new byte[0]);
        assertThatThrownBy(() -> SafetensorsBertLoader.load(dir, Pooling.MEAN, true, 512))
                .hasMessageContaining("model_type 'roberta' is not supported");
    }
}
