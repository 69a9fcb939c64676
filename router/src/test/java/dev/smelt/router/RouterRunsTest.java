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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code smelt route --runs DIR}: the Runs page and its keyed API on the router, described in its OpenAPI document. */
class RouterRunsTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routerServesTheRunsOfItsFolder(@TempDir Path dir) throws Exception {
        Path eval = Files.createDirectories(dir.resolve("router-eval"));
        Files.writeString(eval.resolve("result.json"), "{\"task\": \"intents\", \"results\": [{\"target\": \"router\", \"accuracy\": 0.75}]}");
        Scripted small = new Scripted("small", Map.of("hi", "a"), Map.of("hi", 0.99), BigDecimal.ZERO);
        try (Router r = new Router("r", Map.of("small", small), new CascadePolicy("small", "small", 0.5, null), List.of("small"), null,
                Budget.unlimited()); RouterServer s = new RouterServer(r,
                new HttpSettings("127.0.0.1", 0, ApiKeys.of(List.of("k1"), "test"), false, List.of(), List.of(), false), "r", Clock.systemUTC())
                .enableRuns(dir)) {
            String base = "http://127.0.0.1:" + s.start();
            HttpResponse<String> page = get(base + "/runs", null);
            assertThat(page.statusCode()).isEqualTo(200); // the page shell needs no key; its data does
            assertThat(page.body()).contains("/ui/runs.js");
            assertThat(get(base + "/api/smelt/runs", null).statusCode()).isEqualTo(401);
            JsonNode list = Canonical.JSON.readTree(get(base + "/api/smelt/runs", "k1").body());
            assertThat(list.path("runs").get(0).path("summary").asText()).isEqualTo("intents: router 0.7500");
            JsonNode doc = Canonical.JSON.readTree(get(base + "/openapi.json", null).body());
            assertThat(doc.path("paths").has("/api/smelt/runs/{id}/files/{name}")).isTrue();
            assertThat(doc.path("paths").has("/api/smelt/compare")).isTrue();
            assertThat(doc.toString()).doesNotContain("x-smelt-undocumented");
        }
    }
}
