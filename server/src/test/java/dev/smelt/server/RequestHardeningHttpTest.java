package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * #12's request items on the real server (each failed before its fix): out-of-vocabulary token ids, logit_bias,
 * echo, unsupported parameters answered instead of ignored, Ollama's context both ways, keep_alive, and
 * generation limits that overflow an int.
 */
class RequestHardeningHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int CTX = 256;
    private static SmeltServer server;
    private static String base;

    @BeforeAll
    static void start() {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, CTX, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of(),
                new GgufModelLoader(Map.of("shakespeare", SharedData.model("shakespeare.gguf")), cfg), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) { // null when ../shared is missing and the class was skipped
            server.close(Duration.ZERO);
        }
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(String path, String body) throws Exception {
        HttpResponse<String> r = post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return M.readTree(r.body());
    }

    private static String error(HttpResponse<String> r) throws Exception {
        JsonNode e = M.readTree(r.body()).path("error");
        return e.isTextual() ? e.asText() : e.path("message").asText();
    }

    private static final String GREEDY = "\"model\":\"shakespeare\",\"temperature\":0,\"max_tokens\":8";
    private static final String GREEDY_MODEL = "\"model\":\"shakespeare\",\"temperature\":0";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[1, 1099511627776]|'prompt[1]'|1099511627776",
        "[5, 7, 99999]|'prompt[2]' = 99999|outside the vocabulary",
        "[5, -3]|'prompt[1]'|-3",
        "[5, 1.5]|'prompt[1]'|1.5"})
    void promptTokenIdsOutsideTheVocabularyAre400NamingIndexAndValue(String prompt, String where, String value) throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{" + GREEDY + ",\"prompt\":" + prompt + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(error(r)).contains(where).contains(value);
        assertThat(M.readTree(r.body()).path("error").path("param").asText()).isEqualTo("prompt");
    }

    @Test
    void logitBiasSteersAndBansTokens() throws Exception {
        JsonNode plain = ok("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\",\"logprobs\":0}");
        String first = plain.path("choices").get(0).path("logprobs").path("tokens").get(0).asText();
        JsonNode top = ok("/v1/completions", "{" + GREEDY_MODEL + ",\"prompt\":\"ROMEO:\",\"logprobs\":2,\"max_tokens\":1}");
        String second = top.path("choices").get(0).path("logprobs").path("top_logprobs").get(0).fieldNames().next();
        assertThat(second).isEqualTo(first);
        int firstId = greedyFirstTokenId();
        assertThat(ok("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":[" + firstId + "],\"max_tokens\":0,\"echo\":true}")
                .path("choices").get(0).path("text").asText()).isEqualTo(first);
        JsonNode banned = ok("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\",\"logprobs\":0,\"logit_bias\":{\"" + firstId + "\":-100}}");
        assertThat(banned.path("choices").get(0).path("logprobs").path("tokens").get(0).asText()).isNotEqualTo(first);
        JsonNode forced = ok("/v1/completions", "{" + GREEDY_MODEL + ",\"prompt\":\"ROMEO:\",\"max_tokens\":3,\"logit_bias\":{\"" + firstId + "\":100}}");
        assertThat(forced.path("choices").get(0).path("text").asText()).isEqualTo(first.repeat(3));
        // chat too
        ok("/v1/chat/completions", "{" + GREEDY + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logit_bias\":{\"" + firstId + "\":5}}");
        for (String[] bad : new String[][] {{"{\"99999\":1}", "outside the vocabulary"}, {"{\"1\":101}", "between -100 and 100"},
            {"{\"x\":1}", "not a token id"}, {"[1,2]", "must be an object"}, {"{\"-2\":1}", "not a token id"}}) {
            HttpResponse<String> r = post("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\",\"logit_bias\":" + bad[0] + "}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(error(r)).contains(bad[1]).contains("logit_bias");
        }
    }

    /** The id of the greedy first token after "ROMEO:": the last id of Ollama's returned context. */
    private static int greedyFirstTokenId() throws Exception {
        JsonNode o = ok("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false,"
                + "\"options\":{\"temperature\":0,\"repeat_penalty\":1,\"num_predict\":1}}");
        JsonNode ctx = o.path("context");
        return ctx.get(ctx.size() - 1).asInt();
    }

    @Test
    void echoPrependsThePromptStreamedOrNot() throws Exception {
        JsonNode plain = ok("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\"}");
        JsonNode echoed = ok("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\",\"echo\":true}");
        assertThat(echoed.path("choices").get(0).path("text").asText()).isEqualTo("ROMEO:" + plain.path("choices").get(0).path("text").asText());
        HttpResponse<String> s = post("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\",\"echo\":true,\"stream\":true}");
        StringBuilder text = new StringBuilder();
        for (String l : s.body().lines().filter(l -> l.startsWith("data: {")).toList()) {
            M.readTree(l.substring(6)).path("choices").forEach(c -> text.append(c.path("text").asText()));
        }
        assertThat(text.toString()).isEqualTo(echoed.path("choices").get(0).path("text").asText());
        HttpResponse<String> r = post("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\",\"echo\":true,\"logprobs\":1}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r)).contains("unsupported parameter: echo");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/v1/completions|\"prompt\":\"x\",\"suffix\":\"end\"|suffix",
        "/v1/completions|\"prompt\":\"x\",\"best_of\":3|best_of",
        "/v1/completions|\"prompt\":\"x\",\"frobnicate\":true|frobnicate",
        "/v1/completions|\"prompt\":[\"a\",\"b\"]|prompt",
        "/v1/chat/completions|\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"echo\":true|echo",
        "/v1/chat/completions|\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"functions\":[]|functions",
        "/v1/chat/completions|\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"modalities\":[\"text\",\"audio\"]|modalities",
        "/api/generate|\"prompt\":\"x\",\"suffix\":\"end\"|suffix",
        "/api/generate|\"prompt\":\"x\",\"template\":\"{{ .Prompt }}\"|template",
        "/api/generate|\"prompt\":\"x\",\"options\":{\"typical_p\":0.5}|options.typical_p",
        "/api/generate|\"prompt\":\"x\",\"options\":{\"mirostat\":2}|options.mirostat",
        "/api/chat|\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"think\":true|think",
        "/api/chat|\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"options\":{\"num_gqa\":8}|options.num_gqa"})
    void fieldsSmeltCannotHonourAre400NotIgnored(String path, String fields, String name) throws Exception {
        HttpResponse<String> r = post(path, "{\"model\":\"shakespeare\"," + fields + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(error(r)).contains("unsupported parameter: " + name);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/v1/completions|\"prompt\":\"x\",\"best_of\":1,\"suffix\":\"\",\"user\":\"u1\",\"metadata\":{\"a\":\"b\"},\"store\":false,\"logit_bias\":null",
        "/v1/chat/completions|\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"modalities\":[\"text\"],\"user\":\"u\",\"service_tier\":\"auto\"",
        "/api/generate|\"prompt\":\"x\",\"stream\":false,\"think\":false,\"images\":[],\"options\":{\"num_gpu\":1,\"num_thread\":2,\"typical_p\":1.0,\"mirostat\":0}"})
    void fieldsThatChangeNothingOrSitAtTheirDefaultAreAccepted(String path, String fields) throws Exception {
        String limit = path.startsWith("/api") ? "" : ",\"max_tokens\":2";
        ok(path, "{\"model\":\"shakespeare\"" + limit + "," + fields + "}");
    }

    @Test
    void ollamaGenerateReturnsContextAndAcceptsItBack() throws Exception {
        String opts = "\"options\":{\"temperature\":0,\"num_predict\":5}";
        JsonNode first = ok("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false," + opts + "}");
        ArrayNode ctx = (ArrayNode) first.path("context");
        assertThat(first.path("eval_count").asInt()).isEqualTo(5);
        assertThat(ctx.size()).isGreaterThan(5); // the prompt's ids, then the five generated
        JsonNode next = ok("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\" JULIET:\",\"raw\":true,\"stream\":false,"
                + opts + ",\"context\":" + ctx + "}");
        ArrayNode ctx2 = (ArrayNode) next.path("context");
        assertThat(ctx2.size()).isGreaterThan(ctx.size() + 5);
        for (int i = 0; i < ctx.size(); i++) {
            assertThat(ctx2.get(i).asInt()).as("context[%d] continues the earlier one", i).isEqualTo(ctx.get(i).asInt());
        }
        // the same token ids as a plain prompt give the same greedy answer: the context was the prompt's start
        int promptLen = ctx2.size() - next.path("eval_count").asInt();
        ArrayNode ids = M.createArrayNode();
        for (int i = 0; i < promptLen; i++) {
            ids.add(ctx2.get(i).asInt());
        }
        JsonNode same = ok("/v1/completions", "{\"model\":\"shakespeare\",\"temperature\":0,\"repeat_penalty\":1.1,\"top_k\":40,\"top_p\":0.9,"
                + "\"max_tokens\":5,\"prompt\":" + ids + "}");
        assertThat(same.path("choices").get(0).path("text").asText()).isEqualTo(next.path("response").asText());
        // streamed: the context comes in the last line
        HttpResponse<String> s = post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"raw\":true," + opts + "}");
        List<String> lines = s.body().lines().toList();
        assertThat(M.readTree(lines.getLast()).path("context")).isEqualTo(ctx);
        HttpResponse<String> bad = post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"context\":[1, 4000000]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(error(bad)).contains("'context[1]' = 4000000").contains("outside the vocabulary");
        assertThat(post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"context\":\"abc\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void negativeKeepAliveMeansForeverAsInOllamaAndHugeOnesDoNotOverflow() throws Exception {
        ok("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"a\",\"stream\":false,\"keep_alive\":\"-5h\",\"options\":{\"num_predict\":1}}");
        JsonNode ps = M.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/ps")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(Instant.parse(ps.path("models").get(0).path("expires_at").asText())).isAfter(Instant.parse("2300-01-01T00:00:00Z"));
        for (String ka : List.of("\"99999999999999h\"", "1e300", "-1e300", "\"9223372036854775807s\"")) {
            ok("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"a\",\"stream\":false,\"keep_alive\":" + ka + ",\"options\":{\"num_predict\":1}}");
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/ps")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
        }
        ok("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"a\",\"stream\":false,\"keep_alive\":\"5m\",\"options\":{\"num_predict\":1}}");
    }

    @Test
    void limitsThatOverflowAnIntAreAnsweredAndTheServerStaysUsable() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":2147483647}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error(r)).contains("max_tokens").contains("at most");
        r = post("/v1/chat/completions", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":2147483647}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("param").asText()).isEqualTo("max_completion_tokens");
        // Ollama: num_predict is a limit that ends at the context, as in Ollama
        JsonNode o = ok("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false,"
                + "\"options\":{\"num_predict\":2147483647,\"temperature\":0}}");
        assertThat(o.path("prompt_eval_count").asInt() + o.path("eval_count").asInt()).isLessThanOrEqualTo(CTX);
        HttpResponse<String> big = post("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"options\":{\"num_ctx\":1000000}}");
        assertThat(big.statusCode()).isEqualTo(400);
        assertThat(error(big)).contains("num_ctx");
        ok("/v1/completions", "{" + GREEDY + ",\"prompt\":\"ROMEO:\"}");
    }

    @Test
    void numCtxBelowTheServersContextIsHonoured() throws Exception {
        ObjectNode body = M.createObjectNode().put("model", "shakespeare").put("prompt", "word ".repeat(40)).put("raw", true).put("stream", false);
        body.putObject("options").put("num_ctx", 20);
        HttpResponse<String> r = post("/api/generate", body.toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(error(r)).contains("the context is 20");
    }
}
