package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Ollama's native API on the real server, shape-checked against Ollama's documented responses. */
class OllamaHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static SmeltServer server;
    private static String base;
    private static Path model;

    @BeforeAll
    static void start() {
        model = SharedData.model("shakespeare.gguf");
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 512, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of("default", "shakespeare"),
                new GgufModelLoader(Map.of("shakespeare", model), cfg), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close(Duration.ZERO);
        }
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return M.readTree(r.body());
    }

    private static final String GREEDY = "\"options\":{\"temperature\":0,\"repeat_penalty\":1,\"num_predict\":30}";

    @Test
    void generateNonStreamingMatchesTheGreedyReferenceAndReportsCounts() throws Exception {
        HttpResponse<String> r = post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false," + GREEDY + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode o = M.readTree(r.body());
        assertThat(o.path("response").asText()).startsWith("\nThat is the world of England's death");
        assertThat(o.path("done").asBoolean()).isTrue();
        assertThat(o.path("done_reason").asText()).isEqualTo("length");
        assertThat(o.path("eval_count").asInt()).isEqualTo(30);
        assertThat(o.path("prompt_eval_count").asInt()).isPositive();
        assertThat(o.path("total_duration").asLong()).isGreaterThanOrEqualTo(o.path("eval_duration").asLong()).isPositive();
        assertThat(o.path("model").asText()).isEqualTo("shakespeare");
        assertThat(o.path("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    }

    @Test
    void generateStreamsNdjsonThatAddsUpToTheFullResponse() throws Exception {
        HttpResponse<String> r = post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"raw\":true," + GREEDY + "}");
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
        List<JsonNode> lines = new ArrayList<>();
        for (String l : r.body().lines().toList()) {
            lines.add(M.readTree(l));
        }
        JsonNode last = lines.get(lines.size() - 1);
        assertThat(last.path("done").asBoolean()).isTrue();
        assertThat(lines.subList(0, lines.size() - 1)).allSatisfy(l -> assertThat(l.path("done").asBoolean()).isFalse());
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l.path("response").asText()));
        JsonNode full = M.readTree(post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false,"
                + GREEDY + "}").body());
        assertThat(sb.toString()).isEqualTo(full.path("response").asText());
    }

    @Test
    void chatWithJsonFormatAndSchema() throws Exception {
        JsonNode o = M.readTree(post("/api/chat", "{\"model\":\"default\",\"messages\":[{\"role\":\"user\",\"content\":\"Give JSON\"}],"
                + "\"stream\":false,\"format\":\"json\",\"options\":{\"seed\":3,\"num_predict\":300}}").body());
        assertThat(o.path("message").path("role").asText()).isEqualTo("assistant");
        if (o.path("done_reason").asText().equals("stop")) {
            assertThat(M.readTree(o.path("message").path("content").asText()).isObject()).isTrue();
        }
        String schema = "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}";
        JsonNode s = M.readTree(post("/api/chat", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"ok?\"}],"
                + "\"stream\":false,\"format\":" + schema + ",\"options\":{\"seed\":4,\"num_predict\":100}}").body());
        assertThat(s.path("done_reason").asText()).isEqualTo("stop");
        assertThat(M.readTree(s.path("message").path("content").asText()).path("ok").isBoolean()).isTrue();
    }

    @Test
    void chatStreamsMessageChunks() throws Exception {
        HttpResponse<String> r = post("/api/chat", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]," + GREEDY + "}");
        List<String> lines = r.body().lines().toList();
        JsonNode last = M.readTree(lines.get(lines.size() - 1));
        assertThat(last.path("done").asBoolean()).isTrue();
        assertThat(last.path("eval_count").asInt()).isLessThanOrEqualTo(30).isPositive();
        assertThat(M.readTree(lines.get(0)).path("message").path("content").isTextual()).isTrue();
    }

    @Test
    void listingsDescribeTheModelFile() throws Exception {
        assertThat(get("/api/version").path("version").asText()).matches("\\d+\\.\\d+\\.\\d+");
        JsonNode tag = get("/api/tags").path("models").get(0);
        assertThat(tag.path("name").asText()).isEqualTo("shakespeare:latest"); // Ollama lists names with their tag
        assertThat(tag.path("size").asLong()).isEqualTo(Files.size(model));
        assertThat(tag.path("digest").asText()).matches("[0-9a-f]{64}");
        assertThat(tag.path("details").path("format").asText()).isEqualTo("gguf");
        assertThat(tag.path("details").path("family").asText()).isEqualTo("llama");
        assertThat(tag.path("details").path("quantization_level").asText()).isEqualTo("F32");
        JsonNode show = M.readTree(post("/api/show", "{\"model\":\"shakespeare\"}").body());
        assertThat(show.path("model_info").path("general.architecture").asText()).isEqualTo("llama");
        assertThat(show.path("capabilities").toString()).contains("completion");
        post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"a\",\"stream\":false,\"options\":{\"num_predict\":1}}");
        JsonNode ps = get("/api/ps").path("models").get(0);
        assertThat(ps.path("name").asText()).isEqualTo("shakespeare:latest");
        assertThat(java.time.Instant.parse(ps.path("expires_at").asText())).isAfter(java.time.Instant.now().plusSeconds(200));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/api/generate|{\"model\":|400|malformed JSON",
        "/api/generate|{\"prompt\":\"x\"}|400|model is required",
        "/api/generate|{\"model\":\"nope\",\"prompt\":\"x\"}|404|does not exist",
        "/api/generate|{\"model\":\"shakespeare\",\"prompt\":\"x\",\"options\":{\"temperature\":\"hot\"}}|400|'temperature' must be a number",
        "/api/generate|{\"model\":\"shakespeare\",\"prompt\":\"x\",\"options\":{\"num_predict\":-5}}|400|num_predict",
        "/api/generate|{\"model\":\"shakespeare\",\"prompt\":\"x\",\"format\":\"yaml\"}|400|'format' must be",
        "/api/generate|{\"model\":\"shakespeare\",\"prompt\":\"x\",\"format\":{\"type\":\"strnig\"}}|400|unknown type",
        "/api/generate|{\"model\":\"shakespeare\",\"prompt\":\"x\",\"keep_alive\":\"soon\"}|400|keep_alive",
        "/api/chat|{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}|400|role 'robot'",
        "/api/chat|{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"images\":[\"aGk=\"]}]}|400|images",
        "/api/show|{\"model\":\"nope\"}|404|not found"})
    void badInputsAreOllamaShaped4xx(String path, String body, int status, String message) throws Exception {
        HttpResponse<String> r = post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = M.readTree(r.body());
        assertThat(e.path("error").isTextual()).as(r.body()).isTrue();
        assertThat(e.path("error").asText()).contains(message);
        assertThat(post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"a\",\"stream\":false,\"options\":{\"num_predict\":1}}")
                .statusCode()).isEqualTo(200);
    }

    @Test
    void oversizePromptIsAnErrorNotATruncation() throws Exception {
        HttpResponse<String> r = post("/api/generate", M.writeValueAsString(Map.of("model", "shakespeare", "prompt", "word ".repeat(2000))));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("tokens but the context is 512");
    }

    /** #13: name:latest is the name, as in Ollama, in generation and listings. */
    @Test
    void latestTagNamesTheModel() throws Exception {
        HttpResponse<String> r = post("/api/generate", "{\"model\":\"shakespeare:latest\",\"prompt\":\"a\",\"stream\":false,"
                + "\"options\":{\"num_predict\":1}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        r = post("/api/chat", "{\"model\":\"default:latest\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stream\":false,"
                + "\"options\":{\"num_predict\":1}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(M.readTree(post("/api/show", "{\"model\":\"shakespeare:latest\"}").body()).path("details").path("family").asText())
                .isEqualTo("llama");
        assertThat(post("/api/generate", "{\"model\":\"shakespeare:7b\",\"prompt\":\"a\"}").statusCode()).isEqualTo(404);
    }
}
