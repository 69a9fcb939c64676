package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Jump-forward and speculative decoding on the real server with the model's own tokenizer: structured output stays
 * valid and counts forced tokens in /metrics; temperature-0 completions with prompt-lookup or draft-model speculation
 * equal those of a server without, and the acceptance rate is exported.
 */
class DecodingHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String MODEL = "shakespeare";
    private static final List<String> LABELS = List.of("card_arrival", "card_linking", "cash_withdrawal", "exchange_rate", "lost_or_stolen_card");
    private static SmeltServer plain;
    private static SmeltServer lookup;
    private static SmeltServer drafted;

    private static SmeltServer start(DecodingConfig d) {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 1024, 4, Duration.ofMinutes(5), false)
                .withDecoding(d);
        ModelRegistry reg = new ModelRegistry(List.of(MODEL), Map.of(),
                new GgufModelLoader(Map.of(MODEL, SharedData.model("shakespeare.gguf")), cfg), cfg.keepAlive());
        SmeltServer s = new SmeltServer(cfg, reg, Clock.systemUTC());
        s.start();
        return s;
    }

    @BeforeAll
    static void startAll() {
        DecodingConfig off = new DecodingConfig(false, false, null, 16, 0, 0.75f);
        plain = start(off);
        lookup = start(new DecodingConfig(true, true, null, 16, 0, 0.75f));
        drafted = start(new DecodingConfig(true, false, SharedData.model("shakespeare-Q8_0.gguf"), 16, 0, 0.5f));
    }

    @AfterAll
    static void stop() {
        for (SmeltServer s : new SmeltServer[] {plain, lookup, drafted}) {
            if (s != null) {
                s.close(Duration.ZERO);
            }
        }
    }

    private static String base(SmeltServer s) {
        return "http://127.0.0.1:" + s.port();
    }

    private static JsonNode post(SmeltServer s, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base(s) + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return M.readTree(r.body());
    }

    private static double metric(SmeltServer s, String name) throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(base(s) + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
        assertThat(m.find()).as(name + " in /metrics").isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static String labelRequest(String sentence) throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"label\":{\"enum\":" + M.writeValueAsString(LABELS) + "}},\"required\":[\"label\"]}";
        return "{\"model\":\"" + MODEL + "\",\"temperature\":0,\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":"
                + M.writeValueAsString(sentence) + "}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"l\",\"strict\":true,\"schema\":"
                + schema + "}}}";
    }

    @Test
    void structuredOutputWithJumpForwardIsValidAndCountsForcedTokens() throws Exception {
        for (String sentence : List.of("my card has not arrived", "I lost my card yesterday", "what is the rate for euros?")) {
            for (SmeltServer s : new SmeltServer[] {plain, lookup}) {
                JsonNode r = post(s, "/v1/chat/completions", labelRequest(sentence));
                JsonNode doc = M.readTree(r.at("/choices/0/message/content").asText());
                assertThat(doc.get("label").asText()).as(sentence).isIn(LABELS);
                assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
            }
        }
        assertThat(metric(lookup, "smelt_jump_forward_tokens_total")).as("the key and enum tails are forced").isPositive();
        assertThat(metric(plain, "smelt_jump_forward_tokens_total")).isZero();
    }

    @Test
    void greedyCompletionsWithSpeculationEqualThoseWithout() throws Exception {
        for (String prompt : List.of("ROMEO:\nROMEO:\nROMEO:", "First Citizen:\nBefore we proceed any further, hear me speak.\nFirst Citizen:")) {
            String body = "{\"model\":\"" + MODEL + "\",\"temperature\":0,\"max_tokens\":48,\"prompt\":" + M.writeValueAsString(prompt) + "}";
            String expected = post(plain, "/v1/completions", body).at("/choices/0/text").asText();
            assertThat(post(lookup, "/v1/completions", body).at("/choices/0/text").asText()).as("prompt lookup").isEqualTo(expected);
            assertThat(post(drafted, "/v1/completions", body).at("/choices/0/text").asText()).as("draft model").isEqualTo(expected);
        }
        for (SmeltServer s : new SmeltServer[] {lookup, drafted}) {
            double drafts = metric(s, "smelt_draft_tokens_total");
            assertThat(drafts).isPositive();
            assertThat(metric(s, "smelt_draft_accepted_tokens_total")).isBetween(1.0, drafts);
            assertThat(metric(s, "smelt_draft_acceptance_ratio")).isBetween(0.0, 1.0);
        }
        assertThat(metric(plain, "smelt_draft_tokens_total")).isZero();
    }
}
