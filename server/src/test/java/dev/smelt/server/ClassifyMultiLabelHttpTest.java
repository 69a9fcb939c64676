package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.Embedders;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/classify} with a multi-label (sigmoid) head over the built-in encoder: the single-label fields keep their
 * shape, {@code labels} per text lists every label at or above the threshold, as {@link TextClassifier#answered} does.
 */
class ClassifyMultiLabelHttpTest {
    static final List<String> LABELS = List.of("card", "refund", "pin", "none_fires");
    static final List<String> TEXTS = List.of("Where is my new card?", "I want my money back", "hello");
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void answersEveryLabelAboveTheThreshold(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("multi");
        Random r = new Random(11);
        int dim = 384;
        float[] w = new float[LABELS.size() * dim];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.5);
        }
        // biases chosen so some texts answer several labels and the last label never fires
        new SoftmaxClassifier(Embedders.DEFAULT, LABELS, w, new float[] {1.5f, 1.5f, 0f, -30f}, 1.0, 0.5, M.createObjectNode(), true).save(dir);
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 1, 512, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg), cfg.keepAlive());
        EmbeddingModels emb = new EmbeddingModels(List.of(), name -> Embedders.open(name, 1));
        ClassifierModels clf = new ClassifierModels(List.of("multi"), Map.of(), name -> TextClassifier.open(dir, 2), cfg.keepAlive());
        try (TextClassifier reference = TextClassifier.open(dir, 1); SmeltServer server = new SmeltServer(cfg, reg, emb, clf, Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + server.start();
            String body = M.writeValueAsString(M.createObjectNode().put("model", "multi").set("input", M.valueToTree(TEXTS)));
            var resp = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/classify"))
                    .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            JsonNode o = M.readTree(resp.body());
            assertThat(o.path("multi_label").asBoolean()).isTrue();
            assertThat(o.path("threshold").asDouble()).isEqualTo(0.5);
            List<SoftmaxClassifier.Prediction> expected = reference.predict(TEXTS);
            int answered = 0;
            for (int i = 0; i < TEXTS.size(); i++) {
                JsonNode d = o.path("data").get(i);
                SoftmaxClassifier.Prediction p = expected.get(i);
                List<TextClassifier.Ranked> want = reference.answered(p);
                assertThat(d.path("labels")).hasSize(want.size());
                for (int k = 0; k < want.size(); k++) {
                    assertThat(d.path("labels").get(k).path("label").asText()).isEqualTo(want.get(k).label());
                    assertThat(d.path("labels").get(k).path("probability").asDouble()).isCloseTo(want.get(k).probability(),
                            within(ClassifyHttpTest.PROBABILITY_TOL));
                }
                answered += want.size();
                assertThat(d.path("label").asText()).isEqualTo(p.label());
                assertThat(d.path("raw_label").asText()).isEqualTo(reference.bestLabel(p));
                assertThat(d.path("probs")).hasSize(LABELS.size());
                assertThat(d.path("top_k")).isNotEmpty();
                assertThat(d.path("labels").toString()).doesNotContain("none_fires");
            }
            assertThat(answered).as("some text answers a label").isPositive();
        }
    }
}
