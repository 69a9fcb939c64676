package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.Embedders;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code /v1/classify} over real HTTP on a real classifier directory (a seeded softmax head over the built-in
 * all-MiniLM-L6-v2): answers equal {@link TextClassifier}'s (the {@code smelt classify} path) for the same texts,
 * and every bad request gets a 4xx in OpenAI's error JSON while the server keeps answering.
 */
class ClassifyHttpTest {
    /**
     * The server recomputes the embeddings; Vector API reductions may sum in another order once the JIT compiles
     * them, so probabilities can differ in the last float bits.
     */
    static final double PROBABILITY_TOL = 1e-5;
    static final List<String> LABELS = List.of("card_arrival", "refund", "pin");
    static final List<String> TEXTS = List.of("Where is my new card?", "I want my money back", "How do I change my PIN?",
            "The weather is nice today", "my card never arrived and I need a refund");
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @org.junit.jupiter.api.io.TempDir
    static Path tmp;
    private static Path dir;
    private static SmeltServer server;
    private static String base;
    private static TextClassifier reference;

    @BeforeAll
    static void start() throws Exception {
        dir = tmp.resolve("intents");
        head(0).save(dir);
        // a threshold between the texts' top probabilities, so both in-scope and "unknown" answers occur
        double[] top;
        try (TextClassifier c = TextClassifier.open(dir, 1)) {
            top = c.predict(TEXTS).stream().mapToDouble(SoftmaxClassifier.Prediction::probability).sorted().toArray();
        }
        head((top[1] + top[2]) / 2).save(dir);
        reference = TextClassifier.open(dir, 1);
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 1, 512, 4, Duration.ofMinutes(5), false);
        // a chat model name the registry knows (never loaded here) and an embedding model: both are not classifiers
        ModelRegistry reg = new ModelRegistry(List.of("chatty"), Map.of(), new GgufModelLoader(Map.of("chatty", dir.resolve("chatty.gguf")), cfg),
                cfg.keepAlive());
        EmbeddingModels emb = new EmbeddingModels(List.of("all-minilm-l6-v2"), name -> Embedders.open(name, 1));
        ClassifierModels clf = new ClassifierModels(List.of("intents"), Map.of("support-intents", "intents"),
                name -> TextClassifier.open(dir, 2), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, emb, clf, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    static SoftmaxClassifier head(double threshold) {
        Random r = new Random(7);
        int dim = 384;
        float[] w = new float[LABELS.size() * dim];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.5);
        }
        return new SoftmaxClassifier(Embedders.DEFAULT, LABELS, w, new float[] {0.1f, -0.2f, 0f}, 0.8, threshold, M.createObjectNode());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (reference != null) {
            reference.close();
        }
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void arrayInputAnswersAsTheClassifierDoes() throws Exception {
        ArrayNode in = M.createArrayNode();
        TEXTS.forEach(in::add);
        HttpResponse<String> r = post("/v1/classify", M.createObjectNode().put("model", "intents").put("top_k", 2).set("input", in).toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode o = M.readTree(r.body());
        assertThat(o.path("object").asText()).isEqualTo("list");
        assertThat(o.path("id").asText()).startsWith("classify-");
        assertThat(o.path("created").asLong()).isPositive();
        assertThat(o.path("model").asText()).isEqualTo("intents");
        assertThat(o.path("labels")).hasSize(3);
        List<SoftmaxClassifier.Prediction> expected = reference.predict(TEXTS);
        JsonNode data = o.path("data");
        assertThat(data).hasSize(TEXTS.size());
        List<String> labels = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            JsonNode d = data.get(i);
            SoftmaxClassifier.Prediction p = expected.get(i);
            assertThat(d.path("index").asInt()).isEqualTo(i);
            assertThat(d.path("label").asText()).as("text %d", i).isEqualTo(p.label());
            assertThat(d.path("probability").asDouble()).as("text %d", i).isCloseTo(p.probability(), within(PROBABILITY_TOL));
            assertThat(d.path("raw_label").asText()).isEqualTo(reference.bestLabel(p));
            assertThat(d.path("num_classes").asInt()).isEqualTo(3);
            assertThat(d.path("top_k")).hasSize(2);
            List<TextClassifier.Ranked> top = reference.top(p, 2);
            for (int k = 0; k < 2; k++) {
                assertThat(d.path("top_k").get(k).path("label").asText()).isEqualTo(top.get(k).label());
                assertThat(d.path("top_k").get(k).path("probability").asDouble()).isCloseTo(top.get(k).probability(), within(PROBABILITY_TOL));
            }
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                double v = d.path("probs").get(c).asDouble();
                assertThat(v).as("text %d class %d (%s)", i, c, LABELS.get(c)).isCloseTo(p.probabilities()[c], within(PROBABILITY_TOL));
                sum += v;
            }
            assertThat(sum).isCloseTo(1.0, within(PROBABILITY_TOL));
            labels.add(d.path("label").asText());
            tokens += reference.countTokens(TEXTS.get(i));
        }
        assertThat(labels).as("the threshold splits the texts").contains(SoftmaxClassifier.UNKNOWN).anyMatch(LABELS::contains);
        assertThat(o.path("usage").path("prompt_tokens").asInt()).isEqualTo(tokens);
        assertThat(o.path("usage").path("total_tokens").asInt()).isEqualTo(tokens);
    }

    @Test
    void stringInputAliasDefaultModelAndVllmPath() throws Exception {
        SoftmaxClassifier.Prediction p = reference.predict(TEXTS.get(0));
        for (String body : List.of("{\"model\":\"support-intents\",\"input\":\"Where is my new card?\"}", "{\"input\":\"Where is my new card?\"}")) {
            for (String path : List.of("/v1/classify", "/classify")) {
                HttpResponse<String> r = post(path, body);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode d = M.readTree(r.body()).path("data");
                assertThat(d).hasSize(1);
                assertThat(d.get(0).path("label").asText()).isEqualTo(p.label());
                assertThat(d.get(0).path("probability").asDouble()).isCloseTo(p.probability(), within(PROBABILITY_TOL));
                assertThat(d.get(0).path("top_k")).as("default top_k %d capped at the 3 classes", ClassifyHandlers.DEFAULT_TOP_K).hasSize(3);
                assertThat(M.readTree(r.body()).path("model").asText()).isEqualTo(body.contains("support-intents") ? "support-intents" : "intents");
            }
        }
    }

    @Test
    void modelsListsTheClassifierAndItsAlias() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).GET().build(), HttpResponse.BodyHandlers.ofString());
        List<String> ids = new ArrayList<>();
        M.readTree(r.body()).path("data").forEach(m -> ids.add(m.path("id").asText()));
        assertThat(ids).contains("intents", "support-intents", "chatty", "all-minilm-l6-v2");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"model\":|400|",
        "[1,2]|400|",
        "{\"model\":\"intents\"}|400|input",
        "{\"model\":\"intents\",\"input\":7}|400|input",
        "{\"model\":\"intents\",\"input\":[\"ok\",7]}|400|input",
        "{\"model\":\"intents\",\"input\":[]}|400|input",
        "{\"model\":\"intents\",\"input\":\"\"}|400|input",
        "{\"model\":\"intents\",\"input\":\"x\",\"top_k\":0}|400|top_k",
        "{\"model\":\"intents\",\"input\":\"x\",\"top_k\":-2}|400|top_k",
        "{\"model\":\"intents\",\"input\":\"x\",\"top_k\":1.5}|400|top_k",
        "{\"model\":\"intents\",\"input\":\"x\",\"top_k\":\"3\"}|400|top_k",
        "{\"model\":7,\"input\":\"x\"}|400|model",
        "{\"model\":\"chatty\",\"input\":\"x\"}|400|model",
        "{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\"}|400|model",
        "{\"model\":\"nope\",\"input\":\"x\"}|404|model",
    })
    void badRequestsGetOpenAiErrorsAndTheServerKeepsAnswering(String body, int status, String param) throws Exception {
        HttpResponse<String> r = post("/v1/classify", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode err = M.readTree(r.body()).path("error");
        assertThat(err.path("type").asText()).as(r.body()).isEqualTo("invalid_request_error");
        assertThat(err.path("message").asText()).isNotBlank();
        if (param != null) {
            assertThat(err.path("param").asText()).as(r.body()).isEqualTo(param);
        }
        if (status == 404) {
            assertThat(err.path("code").asText()).isEqualTo("model_not_found");
            assertThat(err.path("message").asText()).contains("intents");
        }
        assertServerAnswers();
    }

    @Test
    void tooManyInputsIsRefusedBeforeAnyWork() throws Exception {
        String[] many = new String[ClassifyHandlers.MAX_INPUTS + 1];
        Arrays.fill(many, "hello");
        ArrayNode in = M.createArrayNode();
        Arrays.stream(many).forEach(in::add);
        HttpResponse<String> r = post("/v1/classify", M.createObjectNode().put("model", "intents").set("input", in).toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode err = M.readTree(r.body()).path("error");
        assertThat(err.path("param").asText()).isEqualTo("input");
        assertThat(err.path("message").asText()).contains(Integer.toString(ClassifyHandlers.MAX_INPUTS + 1))
                .contains(Integer.toString(ClassifyHandlers.MAX_INPUTS));
        assertServerAnswers();
    }

    private static void assertServerAnswers() throws Exception {
        HttpResponse<String> ok = post("/v1/classify", "{\"model\":\"intents\",\"input\":\"I want my money back\"}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(M.readTree(ok.body()).path("data").get(0).path("label").asText()).isEqualTo(reference.predict("I want my money back").label());
    }
}
