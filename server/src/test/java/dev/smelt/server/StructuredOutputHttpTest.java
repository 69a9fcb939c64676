package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's structured-output items on the real server (a SentencePiece vocabulary with byte fallback): non-ASCII
 * literals come out as UTF-8, a negative maxLength is a 400, whitespace is bounded as in llama.cpp's grammar even for a
 * model that prefers blanks, and a max_tokens too small for a forced tool call gives finish_reason "length" with the
 * partial text in content and no half-made tool_calls.
 */
class StructuredOutputHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String MODEL = "shakespeare";
    /** A blank run between JSON tokens: one space, or a newline and an indent of at most 8 (JsonMatcher.MAX_WS − 1). */
    private static final Pattern GAP = Pattern.compile(" |\n[ \t]{0,8}");
    private static SmeltServer server;
    private static String base;

    @BeforeAll
    static void start() {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 1024, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of(MODEL), Map.of(),
                new GgufModelLoader(Map.of(MODEL, SharedData.model("shakespeare.gguf")), cfg), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close(Duration.ZERO);
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(String path, String body) throws Exception {
        HttpResponse<String> r = post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return M.readTree(r.body());
    }

    private static String schema(String s) {
        return "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"strict\":true,\"schema\":" + s + "}}";
    }

    @Test
    void constOfACjkCharacterAnswersThatCharacter() throws Exception {
        // before: content "\"" with finish_reason stop (the literal was compared char by char with bytes)
        JsonNode r = ok("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + schema("{\"const\":\"中\"}") + "}");
        assertThat(r.at("/choices/0/message/content").asText()).isEqualTo("\"中\"");
        assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void enumOfEmojiAndAccentsAnswersExactlyOneValue() throws Exception {
        List<String> values = List.of("é", "😀", "日本語", "naïve");
        for (int seed = 0; seed < 3; seed++) {
            JsonNode r = ok("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"ROMEO:\",\"seed\":" + seed + ",\"temperature\":1,"
                    + schema("{\"enum\":" + M.writeValueAsString(values) + "}") + "}");
            String content = r.at("/choices/0/text").asText();
            assertThat(values).as(content).contains(M.readValue(content, String.class));
        }
    }

    @Test
    void negativeMaxLengthIs400NamingTheKeyword() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"x\","
                + schema("{\"type\":\"string\",\"maxLength\":-5}") + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(M.readTree(r.body()).at("/error/message").asText()).contains("/maxLength").contains("-5");
    }

    @Test
    void aModelThatPrefersBlanksStillFinishesAFixedSchemaInBoundedTokens() throws Exception {
        StringBuilder bias = new StringBuilder();
        try (GgufFile f = GgufFile.open(SharedData.model("shakespeare.gguf"))) {
            Tokenizer tok = Tokenizers.fromGguf(f);
            for (int id = 0; id < tok.vocabSize(); id++) {
                byte[] b = tok.tokenBytes(id);
                if (!tok.isSpecial(id) && b.length > 0 && new String(b, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
                    bias.append(bias.isEmpty() ? "" : ",").append('"').append(id).append("\":100");
                }
            }
        }
        assertThat(bias).as("the vocabulary has blank tokens to prefer").isNotEmpty();
        String fixed = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"},\"b\":{\"enum\":[\"x\",\"y\"]}},\"required\":[\"a\",\"b\"]}";
        int gaps = 8; // { _ "a" _ : _ true _ , _ "b" _ : _ "x" _ }
        int longest = "{\"a\":false,\"b\":\"x\"}".length() + gaps * 9 + 1; // every byte its own token, plus the end token
        JsonNode r = ok("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"ROMEO:\",\"temperature\":0,\"max_tokens\":400,"
                + "\"logit_bias\":{" + bias + "}," + schema(fixed) + "}");
        String content = r.at("/choices/0/text").asText();
        assertThat(r.at("/choices/0/finish_reason").asText()).as(content).isEqualTo("stop");
        assertThat(r.at("/usage/completion_tokens").asInt()).as(content).isLessThanOrEqualTo(longest);
        JsonNode doc = M.readTree(content);
        assertThat(doc.path("a").isBoolean()).as(content).isTrue();
        Matcher blanks = Pattern.compile("\\s+").matcher(content);
        int runs = 0;
        while (blanks.find()) {
            assertThat(GAP.matcher(blanks.group()).matches()).as("gap %s in %s", M.writeValueAsString(blanks.group()), content).isTrue();
            runs++;
        }
        assertThat(runs).as("the bias did make the model emit blanks: " + content).isPositive();
    }

    @Test
    void maxTokensTooSmallForAForcedToolCallIsLengthWithTheTextInContentAndNoToolCalls() throws Exception {
        String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":"
                + "{\"x\":{\"enum\":[\"a\",\"b\"]}},\"required\":[\"x\"]}}}],\"tool_choice\":\"required\"";
        for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    + "\"max_tokens\":3,\"stream\":" + stream + "," + tools + "}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).as("stream " + stream).contains("\"finish_reason\":\"length\"").doesNotContain("tool_calls")
                    .contains("<tool_call>");
        }
        JsonNode full = ok("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"max_tokens\":200," + tools + "}");
        assertThat(full.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(full.at("/choices/0/message/tool_calls/0/function/name").asText()).isEqualTo("f");
    }
}
