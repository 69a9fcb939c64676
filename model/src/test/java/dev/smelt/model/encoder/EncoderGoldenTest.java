package dev.smelt.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Embeddings of both built-in models against onnxruntime's (through langchain4j 1.0.0-beta1) in
 * ../shared/reference/golden/encoder-embeddings.golden.json.
 */
class EncoderGoldenTest {
    /** The acceptance bound: every sentence's cosine similarity with the reference vector. */
    static final double MIN_COSINE = 0.9999;

    @ParameterizedTest
    @ValueSource(strings = {"all-minilm-l6-v2", "bge-small-en-v1.5"})
    void matchesOnnxRuntime(String model) throws Exception {
        Path golden = SharedData.golden("encoder-embeddings.golden.json");
        JsonNode root = new ObjectMapper().readTree(golden.toFile());
        List<String> sentences = new ArrayList<>();
        root.get("sentences").forEach(n -> sentences.add(n.asText()));
        JsonNode expected = root.get("embeddings").get(model);
        try (BertEmbedder e = Embedders.open(model, 2)) {
            assertThat(e.dimension()).isEqualTo(expected.get(0).size());
            float[][] actual = e.embed(sentences);
            // One at a time too: batching (packed sequences) must not change a vector.
            float[][] single = new float[sentences.size()][];
            for (int i = 0; i < sentences.size(); i++) {
                single[i] = e.embed(List.of(sentences.get(i)))[0];
            }
            for (int i = 0; i < sentences.size(); i++) {
                double cos = cosine(expected.get(i), actual[i]);
                assertThat(cos).as("%s sentence %d %s: cosine with onnxruntime = %.7f, need >= %s",
                        model, i, sentences.get(i), cos, MIN_COSINE).isGreaterThanOrEqualTo(MIN_COSINE);
                double cosSingle = cosine(expected.get(i), single[i]);
                assertThat(cosSingle).as("%s sentence %d alone: cosine %.7f", model, i, cosSingle)
                        .isGreaterThanOrEqualTo(MIN_COSINE);
            }
        }
    }

    static double cosine(JsonNode ref, float[] v) {
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < v.length; i++) {
            double r = ref.get(i).asDouble();
            dot += r * v[i];
            a += r * r;
            b += (double) v[i] * v[i];
        }
        return dot / Math.sqrt(a * b);
    }
}
