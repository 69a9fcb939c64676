package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import dev.smelt.server.http.ApiKeys;
import dev.smelt.server.http.HttpSettings;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@code smelt route} serves the playground at {@code /} and an OpenAPI document of exactly its own routes. */
class RouterWebPagesTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void playgroundAndOpenApiOfTheRoutersOwnRoutes() throws Exception {
        Scripted small = new Scripted("small", Map.of("hi", "a"), Map.of("hi", 0.99), BigDecimal.ZERO);
        try (Router r = new Router("r", Map.of("small", small), new CascadePolicy("small", "small", 0.5, null), List.of("small"), null,
                Budget.unlimited()); RouterServer s = new RouterServer(r,
                new HttpSettings("127.0.0.1", 0, ApiKeys.of(List.of("k1"), "test"), false, List.of(), List.of(), false), "r", Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + s.start();
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
            assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("script-src 'self'");
            assertThat(page.body()).contains("name=\"prompt\"");
            HttpResponse<String> dash = http.send(HttpRequest.newBuilder(URI.create(base + "/dashboard")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(dash.statusCode()).isEqualTo(200);
            assertThat(dash.body()).contains("/ui/router.js").contains("Teacher share");
            JsonNode doc = Canonical.JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/openapi.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
            assertThat(doc.path("info").path("title").asText()).isEqualTo("smelt route");
            Set<String> paths = new TreeSet<>();
            doc.path("paths").fieldNames().forEachRemaining(paths::add);
            assertThat(paths).containsExactlyInAnyOrder("/health", "/metrics", "/v1/models", "/v1/models/{id}", "/v1/chat/completions", "/openapi.json",
                    RouterServer.STATS_PATH);
            assertThat(doc.toString()).doesNotContain("x-smelt-undocumented");
        }
    }

    @Test
    void theRouterStatsStreamNeedsTheKeyAndCountsWhatWasAnswered() throws Exception {
        Scripted small = new Scripted("small", Map.of("hi", "a"), Map.of("hi", 0.99), BigDecimal.ZERO);
        Scripted teacher = new Scripted("teacher", Map.of(), Map.of(), BigDecimal.ZERO);
        try (Router r = new Router("r", Map.of("small", small, "teacher", teacher), new CascadePolicy("small", "teacher", 0.5, null),
                List.of(), null, Budget.unlimited()); RouterServer s = new RouterServer(r,
                new HttpSettings("127.0.0.1", 0, ApiKeys.of(List.of("k1"), "test"), false, List.of(), List.of(), false), "r", Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + s.start();
            URI stats = URI.create(base + RouterServer.STATS_PATH);
            assertThat(http.send(HttpRequest.newBuilder(stats).header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
            assertThat(http.send(HttpRequest.newBuilder(stats).header("Authorization", "Bearer k1").build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(406);
            for (String in : List.of("hi", "hard", "hard, streamed")) { // streamed answers are counted too
                HttpResponse<String> a = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Authorization", "Bearer k1")
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"" + in + "\"}],\"stream\":" + in.endsWith("streamed") + "}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
            }
            HttpResponse<java.util.stream.Stream<String>> events = http.send(HttpRequest.newBuilder(stats).header("Authorization", "Bearer k1")
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(events.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            JsonNode first;
            try (var lines = events.body()) {
                first = Canonical.JSON.readTree(lines.filter(l -> l.startsWith("data:")).findFirst().orElseThrow().substring(5).strip());
            }
            assertThat(first.path("requests").asLong()).isEqualTo(3);
            assertThat(first.path("targets").path("small").asLong()).isEqualTo(1);
            assertThat(first.path("targets").path("teacher").asLong()).isEqualTo(2);
            assertThat(first.path("share").path("cumulative_share").asDouble()).isEqualTo(2.0 / 3);
            assertThat(first.path("escalated").get(0).path("prompt").asText()).isEqualTo("hard, streamed");
            assertThat(first.path("escalated").get(1).path("prompt").asText()).isEqualTo("hard");
            assertThat(first.path("points").size()).isEqualTo(3);
        }
    }
}
