package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** /v1/embeddings and /api/embed over real HTTP, against onnxruntime's golden vectors; 4xx in OpenAI's or Ollama's error shape. */
class EmbeddingHttpTest {
    /** The acceptance bound on cosine similarity with onnxruntime. */
    static final double MIN_COSINE = 0.9999;
    /**
     * The two requests recompute the vector; Vector API lane reductions may sum in a different order once the
     * JIT compiles them (interpreted vs C2), so values can differ in the last float bits (~1e-8).
     */
    static final float RECOMPUTE_TOL = 1e-6f;
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static SmeltServer server;
    private static String base;
    private static JsonNode golden;

    @BeforeAll
    static void start() throws Exception {
        golden = M.readTree(SharedData.golden("encoder-embeddings.golden.json").toFile());
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 1, 512, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg), cfg.keepAlive());
        EmbeddingModels emb = new EmbeddingModels(List.of("all-minilm-l6-v2"), name -> Embedders.open(name, 2));
        server = new SmeltServer(cfg, reg, emb, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String sentence(int i) {
        return golden.get("sentences").get(i).asText();
    }

    private static JsonNode expected(int i) {
        return golden.get("embeddings").get("all-minilm-l6-v2").get(i);
    }

    @Test
    void openAiArrayInputMatchesOnnxRuntimeInOrder() throws Exception {
        String body = M.createObjectNode().put("model", "all-minilm-l6-v2")
                .set("input", M.createArrayNode().add(sentence(2)).add(sentence(0))).toString();
        HttpResponse<String> r = post("/v1/embeddings", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode o = M.readTree(r.body());
        assertThat(o.path("object").asText()).isEqualTo("list");
        assertThat(o.path("model").asText()).isEqualTo("all-minilm-l6-v2");
        assertThat(o.path("data")).hasSize(2);
        assertThat(o.path("data").get(1).path("index").asInt()).isEqualTo(1);
        assertThat(cosine(expected(2), o.path("data").get(0).path("embedding"))).isGreaterThanOrEqualTo(MIN_COSINE);
        assertThat(cosine(expected(0), o.path("data").get(1).path("embedding"))).isGreaterThanOrEqualTo(MIN_COSINE);
        // "My card has not arrived yet." = 7 word pieces + [CLS] + [SEP]; plus sentence 2's
        assertThat(o.path("usage").path("prompt_tokens").asInt()).isGreaterThan(9);
        assertThat(o.path("usage").path("total_tokens").asInt()).isEqualTo(o.path("usage").path("prompt_tokens").asInt());
    }

    @Test
    void base64IsTheSameFloatsLittleEndian() throws Exception {
        String in = M.writeValueAsString(sentence(1));
        JsonNode f = M.readTree(post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":" + in + "}").body());
        HttpResponse<String> r = post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":" + in + ",\"encoding_format\":\"base64\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        byte[] bytes = Base64.getDecoder().decode(M.readTree(r.body()).path("data").get(0).path("embedding").asText());
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        JsonNode floats = f.path("data").get(0).path("embedding");
        assertThat(bytes).hasSize(4 * 384);
        for (int i = 0; i < 384; i++) {
            assertThat(b.getFloat(4 * i)).as("element %d", i)
                    .isCloseTo((float) floats.get(i).asDouble(), org.assertj.core.data.Offset.offset(RECOMPUTE_TOL));
        }
    }

    @Test
    void ollamaEmbedAcceptsItsModelNames() throws Exception {
        String in = M.writeValueAsString(sentence(3));
        HttpResponse<String> r = post("/api/embed", "{\"model\":\"all-minilm:latest\",\"input\":[" + in + "]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode o = M.readTree(r.body());
        assertThat(o.path("model").asText()).isEqualTo("all-minilm:latest");
        assertThat(o.path("embeddings")).hasSize(1);
        assertThat(cosine(expected(3), o.path("embeddings").get(0))).isGreaterThanOrEqualTo(MIN_COSINE);
        assertThat(o.path("prompt_eval_count").asInt()).isPositive();
        HttpResponse<String> old = post("/api/embeddings", "{\"model\":\"all-minilm\",\"prompt\":" + in + "}");
        assertThat(cosine(expected(3), M.readTree(old.body()).path("embedding"))).isGreaterThanOrEqualTo(MIN_COSINE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/v1/embeddings|{\"model\":\"all-minilm-l6-v2\"}|400|input",
        "/v1/embeddings|{\"model\":\"all-minilm-l6-v2\",\"input\":[]}|400|input",
        "/v1/embeddings|{\"model\":\"all-minilm-l6-v2\",\"input\":\"\"}|400|input",
        "/v1/embeddings|{\"model\":\"all-minilm-l6-v2\",\"input\":[1,2,3]}|400|input",
        "/v1/embeddings|{\"model\":\"all-minilm-l6-v2\",\"input\":{\"a\":1}}|400|input",
        "/v1/embeddings|{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"encoding_format\":\"int8\"}|400|encoding_format",
        "/v1/embeddings|{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"dimensions\":128}|400|dimensions",
        "/v1/embeddings|{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}|404|model",
        "/v1/embeddings|{\"model\":|400|",
        "/api/embed|{\"model\":\"all-minilm\",\"input\":[\"ok\",7]}|400|input",
        "/api/embeddings|{\"model\":\"all-minilm\"}|400|prompt",
    })
    void badRequestsGetErrorsInTheirApisShape(String path, String body, int status, String param) throws Exception {
        HttpResponse<String> r = post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode err = M.readTree(r.body()).path("error");
        if (path.startsWith("/api/")) { // Ollama's shape: {"error": "message"}
            assertThat(err.isTextual()).as(r.body()).isTrue();
            assertThat(err.asText()).contains(param);
            return;
        }
        assertThat(err.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(err.path("message").asText()).isNotBlank();
        if (param != null) {
            assertThat(err.path("param").asText()).isEqualTo(param);
        }
    }

    static double cosine(JsonNode a, JsonNode b) {
        double dot = 0, x = 0, y = 0;
        for (int i = 0; i < a.size(); i++) {
            double p = a.get(i).asDouble(), q = b.get(i).asDouble();
            dot += p * q;
            x += p * p;
            y += q * q;
        }
        return dot / Math.sqrt(x * y);
    }

    /** #12: an input past the encoder's window follows Ollama's truncate (default true), reported; truncate:false is a 400. */
    @Test
    void inputsLongerThanTheWindowAreTruncatedVisiblyOrRefused() throws Exception {
        String longText = "word ".repeat(400);
        String in = M.writeValueAsString(List.of("short", longText));
        JsonNode o = M.readTree(post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":" + in + "}").body());
        assertThat(o.path("usage").path("truncated_inputs").toString()).isEqualTo("[1]");
        JsonNode plain = M.readTree(post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"short\"}").body());
        assertThat(plain.path("usage").has("truncated_inputs")).isFalse();
        HttpResponse<String> r = post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"truncate\":false,\"input\":" + in + "}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("message").asText()).contains("'input[1]'").contains("truncate");
        JsonNode ol = M.readTree(post("/api/embed", "{\"model\":\"all-minilm\",\"input\":" + in + "}").body());
        assertThat(ol.path("truncated_inputs").toString()).isEqualTo("[1]");
        assertThat(ol.path("embeddings").size()).isEqualTo(2);
        r = post("/api/embed", "{\"model\":\"all-minilm\",\"truncate\":false,\"input\":" + in + "}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("'input[1]'");
        r = post("/api/embeddings", "{\"model\":\"all-minilm\",\"truncate\":false,\"prompt\":" + M.writeValueAsString(longText) + "}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("'prompt'");
        r = post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"encoding\":\"float\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("message").asText()).contains("unsupported parameter: encoding");
    }

    /** #13: the embedder is listed by /api/tags (with its tag) and described by /api/show, and /v1/models/{id} finds it. */
    @Test
    void theEmbedderIsListedAndDescribed() throws Exception {
        JsonNode tags = M.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/tags")).build(), HttpResponse.BodyHandlers.ofString()).body());
        JsonNode e = tags.path("models").get(0);
        assertThat(e.path("name").asText()).isEqualTo("all-minilm-l6-v2:latest");
        assertThat(e.path("size").asLong()).isGreaterThan(1_000_000);
        assertThat(e.path("digest").asText()).matches("[0-9a-f]{64}");
        assertThat(e.path("details").path("family").asText()).isEqualTo("bert");
        JsonNode show = M.readTree(post("/api/show", "{\"model\":\"all-minilm:latest\"}").body());
        assertThat(show.path("capabilities").toString()).isEqualTo("[\"embedding\"]");
        assertThat(show.path("model_info").path("bert.embedding_length").asInt()).isEqualTo(384);
        HttpResponse<String> m = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/models/all-minilm-l6-v2")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(M.readTree(m.body()).path("created").asLong()).isPositive();
    }
}
