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
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of("sk-test"), false, List.of(), 2, 2, 1536, 4,
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
        String longPrompt = "word ".repeat(4000);
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

    static final String WEATHER_TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather in a city\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":20},"
            + "\"unit\":{\"enum\":[\"c\",\"f\"]}},\"required\":[\"city\",\"unit\"]}}},"
            + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]";

    @Test
    void requiredToolChoiceAlwaysYieldsAValidCallWithStringArguments() throws Exception {
        for (int seed = 1; seed <= 3; seed++) {
            String body = "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],"
                    + "\"tools\":" + WEATHER_TOOLS + ",\"tool_choice\":\"required\",\"max_tokens\":400,\"seed\":" + seed + "}";
            HttpResponse<String> r = post("/v1/chat/completions", body, true);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode choice = M.readTree(r.body()).path("choices").get(0);
            assertThat(choice.path("finish_reason").asText()).as(r.body()).isEqualTo("tool_calls");
            JsonNode call = choice.path("message").path("tool_calls").get(0);
            assertThat(call.path("type").asText()).isEqualTo("function");
            assertThat(call.path("id").asText()).startsWith("call_");
            assertThat(call.path("function").path("arguments").isTextual()).as("arguments must be a JSON string").isTrue();
            JsonNode args = M.readTree(call.path("function").path("arguments").asText());
            String name = call.path("function").path("name").asText();
            assertThat(name).isIn("get_weather", "get_time");
            if (name.equals("get_weather")) {
                assertThat(args.path("city").isTextual()).as(args.toString()).isTrue();
                assertThat(args.path("unit").asText()).isIn("c", "f");
            }
        }
    }

    @Test
    void namedToolChoiceStreamsToolCallDeltas() throws Exception {
        String body = "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"Time?\"}],"
                + "\"tools\":" + WEATHER_TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
                + "\"max_tokens\":400,\"seed\":5,\"stream\":true}";
        HttpResponse<String> r = post("/v1/chat/completions", body, true);
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> data = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        StringBuilder args = new StringBuilder();
        String name = null;
        String finish = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode c = M.readTree(d).path("choices").get(0);
            for (JsonNode tc : c.path("delta").path("tool_calls")) {
                assertThat(tc.path("index").asInt()).isZero();
                if (tc.path("function").has("name")) {
                    name = tc.path("function").path("name").asText();
                }
                assertThat(tc.path("function").path("arguments").isTextual()).isTrue();
                args.append(tc.path("function").path("arguments").asText());
            }
            if (!c.path("finish_reason").isNull()) {
                finish = c.path("finish_reason").asText();
            }
        }
        assertThat(name).isEqualTo("get_weather");
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(M.readTree(args.toString()).path("unit").asText()).isIn("c", "f");
    }

    @Test
    void toolResultsAndAssistantCallsAreAcceptedInTheConversation() throws Exception {
        String body = "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"c\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18 degrees\"}],"
                + "\"tools\":" + WEATHER_TOOLS + ",\"tool_choice\":\"none\",\"max_tokens\":5,\"temperature\":0}";
        HttpResponse<String> r = post("/v1/chat/completions", body, true);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode msg = M.readTree(r.body()).path("choices").get(0).path("message");
        assertThat(msg.has("tool_calls")).isFalse();
        assertThat(msg.path("content").isTextual()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"tools\":{}|'tools' must be an array",
        "\"tools\":[{\"type\":\"function\"}]|tools[0].function must be an object",
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"allOf\":[]}}}],\"tool_choice\":\"required\"|allOf",
        "\"tool_choice\":\"required\"|no 'tools'",
        "\"tools\":[{\"function\":{\"name\":\"f\"}}],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}}|not in 'tools'",
        "\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]|arguments is not valid JSON",
        "\"messages\":[{\"role\":\"user\",\"content\":5}]|content must be a string"})
    void badToolRequestsAre400(String fields, String message) throws Exception {
        String body = "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]," + fields + "}";
        body = body.replaceFirst("\"messages\":\\[\\{\"role\":\"user\",\"content\":\"x\"}\\],(\"messages\")", "$1");
        HttpResponse<String> r = post("/v1/chat/completions", body, true);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("message").asText()).contains(message);
        assertThat(M.readTree(r.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }

    /** #13: models.retrieve works and created is the model file's time, not 0. */
    @Test
    void aModelCanBeRetrievedAndCarriesItsFilesTime() throws Exception {
        long mtime = java.nio.file.Files.getLastModifiedTime(SharedData.model("shakespeare.gguf")).toInstant().getEpochSecond();
        JsonNode list = M.readTree(get("/v1/models").body());
        assertThat(list.path("data").get(0).path("created").asLong()).isEqualTo(mtime);
        HttpResponse<String> one = get("/v1/models/shakespeare");
        assertThat(one.statusCode()).isEqualTo(200);
        JsonNode m = M.readTree(one.body());
        assertThat(m.path("id").asText()).isEqualTo("shakespeare");
        assertThat(m.path("object").asText()).isEqualTo("model");
        assertThat(m.path("created").asLong()).isEqualTo(mtime);
        assertThat(M.readTree(get("/v1/models/default").body()).path("id").asText()).isEqualTo("default");
        HttpResponse<String> none = get("/v1/models/nope");
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(M.readTree(none.body()).path("error").path("code").asText()).isEqualTo("model_not_found");
    }
}
