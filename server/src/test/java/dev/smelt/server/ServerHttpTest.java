package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The real server over HTTP on loopback, serving the trained reference model. */
class ServerHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static SmeltServer server;
    private static String base;

    @BeforeAll
    static void start() {
        Path model = SharedData.model("shakespeare.gguf");
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of("sk-test"), false, List.of(), 2, 2, 512, 4,
                Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of("default", "shakespeare"),
                new GgufModelLoader(Map.of("shakespeare", model), cfg), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static HttpResponse<String> post(String path, String body, boolean auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth) {
            b.header("Authorization", "Bearer sk-test");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer sk-test").GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthModelsAndMetrics() throws Exception {
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        JsonNode models = M.readTree(get("/v1/models").body());
        assertThat(models.path("data").findValuesAsText("id")).contains("shakespeare");
        post("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":3,\"temperature\":0}", true);
        String metrics = get("/metrics").body();
        assertThat(metrics).contains("smelt_generated_tokens").contains("smelt_queue_depth").contains("smelt_kv_cache_used_tokens");
    }

    @Test
    void greedyCompletionMatchesTheModelsKnownOutput() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"default\",\"prompt\":\"ROMEO:\",\"max_tokens\":30,\"temperature\":0}", true);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode o = M.readTree(r.body());
        assertThat(o.path("object").asText()).isEqualTo("text_completion");
        assertThat(o.path("choices").get(0).path("text").asText()).startsWith("\nThat is the world of England's death");
        assertThat(o.path("usage").path("completion_tokens").asInt()).isEqualTo(30);
        assertThat(o.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void stopStringsCutTheText() throws Exception {
        JsonNode o = M.readTree(post("/v1/completions",
                "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":30,\"temperature\":0,\"stop\":[\"world\"]}", true).body());
        assertThat(o.path("choices").get(0).path("text").asText()).isEqualTo("\nThat is the ");
        assertThat(o.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void streamingSendsChunksUsageAndDone() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_tokens\":8,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}", true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> data = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        JsonNode first = M.readTree(data.get(0));
        assertThat(first.path("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
        JsonNode usage = M.readTree(data.get(data.size() - 2));
        assertThat(usage.path("usage").path("completion_tokens").asInt()).isEqualTo(8);
        StringBuilder text = new StringBuilder();
        for (String d : data.subList(0, data.size() - 1)) {
            M.readTree(d).path("choices").forEach(c -> text.append(c.path("delta").path("content").asText("")));
        }
        JsonNode full = M.readTree(post("/v1/chat/completions", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_tokens\":8,\"temperature\":0}", true).body());
        assertThat(text.toString()).isEqualTo(full.path("choices").get(0).path("message").path("content").asText());
    }

    @Test
    void logprobsAndSeeds() throws Exception {
        String body = "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":6,"
                + "\"temperature\":1.0,\"seed\":7,\"logprobs\":true,\"top_logprobs\":3}";
        JsonNode a = M.readTree(post("/v1/chat/completions", body, true).body());
        JsonNode b = M.readTree(post("/v1/chat/completions", body, true).body());
        assertThat(a.path("choices").get(0).path("message")).isEqualTo(b.path("choices").get(0).path("message"));
        JsonNode content = a.path("choices").get(0).path("logprobs").path("content");
        assertThat(content.size()).isGreaterThan(0);
        assertThat(content.get(0).path("top_logprobs").size()).isEqualTo(3);
        assertThat(content.get(0).path("logprob").asDouble()).isLessThanOrEqualTo(0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"model\":\"shakespeare\",\"prompt\":|400|malformed JSON",
        "[1,2]|400|must be a JSON object",
        "{\"model\":\"nope\",\"prompt\":\"x\"}|404|does not exist",
        "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"max_tokens\":-1}|400|max_tokens",
        "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"max_tokens\":\"ten\"}|400|must be an integer",
        "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"temperature\":9}|400|temperature",
        "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"max_tokens\":100000}|400|context",
        "{\"prompt\":\"x\"}|400|'model' is required",
        "{\"model\":\"shakespeare\",\"prompt\":[1,99999]}|400|outside the vocabulary"})
    void badInputsAreOpenAiShaped4xx(String body, int status, String message) throws Exception {
        HttpResponse<String> r = post("/v1/completions", body, true);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = M.readTree(r.body()).path("error");
        assertThat(e.path("message").asText()).contains(message);
        assertThat(e.has("type")).isTrue();
        // the server is unharmed
        assertThat(post("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"a\",\"max_tokens\":1}", true).statusCode()).isEqualTo(200);
    }

    @Test
    void oversizePromptIsRejectedNotTruncated() throws Exception {
        String longPrompt = "word ".repeat(2000);
        HttpResponse<String> r = post("/v1/completions", M.writeValueAsString(Map.of("model", "shakespeare", "prompt", longPrompt)), true);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("code").asText()).isEqualTo("context_length_exceeded");
    }

    @Test
    void apiKeyIsRequired() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"x\"}", false);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(M.readTree(r.body()).path("error").path("type").asText()).isEqualTo("authentication_error");
        assertThat(get("/nothing-here").statusCode()).isEqualTo(404);
    }

    @Test
    void jsonSchemaOutputAlwaysParsesAndValidates() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"intent\":{\"enum\":[\"lost_card\",\"refund\",\"other\"]},"
                + "\"urgent\":{\"type\":\"boolean\"}},\"required\":[\"intent\",\"urgent\"]}";
        for (int seed = 1; seed <= 3; seed++) {
            String body = "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"My card is gone\"}],"
                    + "\"max_tokens\":200,\"temperature\":1.0,\"seed\":" + seed + ",\"response_format\":{\"type\":\"json_schema\","
                    + "\"json_schema\":{\"name\":\"t\",\"strict\":true,\"schema\":" + schema + "}}}";
            HttpResponse<String> r = post("/v1/chat/completions", body, true);
            assertThat(r.statusCode()).as("body: %s", r.body()).isEqualTo(200);
            String content = M.readTree(r.body()).path("choices").get(0).path("message").path("content").asText();
            assertThat(M.readTree(r.body()).path("choices").get(0).path("finish_reason").asText()).as(content).isEqualTo("stop");
            JsonNode doc = M.readTree(content);
            assertThat(doc.path("intent").asText()).as(content).isIn("lost_card", "refund", "other");
            assertThat(doc.path("urgent").isBoolean()).as(content).isTrue();
        }
        HttpResponse<String> bad = post("/v1/chat/completions", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"strnig\"}}}}", true);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(M.readTree(bad.body()).path("error").path("message").asText()).contains("unknown type 'strnig'");
    }
}
