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
            JsonNode doc = Canonical.JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/openapi.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
            assertThat(doc.path("info").path("title").asText()).isEqualTo("smelt route");
            Set<String> paths = new TreeSet<>();
            doc.path("paths").fieldNames().forEachRemaining(paths::add);
            assertThat(paths).containsExactlyInAnyOrder("/health", "/metrics", "/v1/models", "/v1/models/{id}", "/v1/chat/completions", "/openapi.json");
            assertThat(doc.toString()).doesNotContain("x-smelt-undocumented");
        }
    }
}
