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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /api/smelt/stats}: keyed, Server-Sent Events of the loaded models, slots, queue, rates and health. */
class LiveStatsHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static SmeltServer server;
    private static String base;

    @BeforeAll
    static void start() {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of("sk-stats"), false, List.of(), 2, 2, 512, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of(),
                new GgufModelLoader(Map.of("shakespeare", SharedData.model("shakespeare.gguf")), cfg), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close(Duration.ZERO);
        }
    }

    @Test
    void needsTheKeyAndAnEventStreamAccept() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/smelt/stats")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("API key");
        HttpResponse<String> plain = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/smelt/stats")).header("Authorization", "Bearer sk-stats")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(406);
        assertThat(M.readTree(plain.body()).path("error").asText()).contains("Accept: text/event-stream");
    }

    @Test
    void streamsSamplesThatSeeGeneration() throws Exception {
        HttpResponse<String> done = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Authorization", "Bearer sk-stats")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":12,\"temperature\":0}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/smelt/stats"))
                .header("Authorization", "Bearer sk-stats").header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> samples = new ArrayList<>();
        try (Stream<String> lines = r.body()) {
            Iterator<String> it = lines.iterator();
            String event = null;
            while (samples.size() < 2 && it.hasNext()) {
                String line = it.next();
                if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    assertThat(event).isEqualTo("stats");
                    samples.add(M.readTree(line.substring(5).strip()));
                }
            }
        }
        JsonNode first = samples.get(0);
        assertThat(first.path("tokens_per_second").isNull()).as("no rate before a second sample").isTrue();
        assertThat(first.path("healthy").asBoolean()).isTrue();
        assertThat(first.path("slots_total").asInt()).isEqualTo(2);
        assertThat(first.path("generated_tokens").asLong()).isGreaterThanOrEqualTo(12);
        JsonNode model = first.path("models").get(0);
        assertThat(model.path("name").asText()).isEqualTo("shakespeare");
        assertThat(model.path("slots").asInt()).isEqualTo(2);
        assertThat(model.path("keep_alive_seconds_left").asLong()).isBetween(1L, 300L);
        assertThat(samples.get(1).path("tokens_per_second").isNumber()).isTrue();
    }
}
