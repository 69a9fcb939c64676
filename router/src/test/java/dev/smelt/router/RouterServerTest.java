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
import org.junit.jupiter.api.Test;

class RouterServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(int port, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersSayWhichTargetAnsweredAndWhatItCost() throws Exception {
        Scripted small = new Scripted("small", Map.of("hi", "a", "hard", "b"), Map.of("hi", 0.99, "hard", 0.1), BigDecimal.ZERO);
        Scripted teacher = new Scripted("teacher", Map.of("hard", "a"), Map.of(), new BigDecimal("0.002"));
        try (Router r = new Router("r", Map.of("small", small, "teacher", teacher), new CascadePolicy("small", "teacher", 0.5, null),
                List.of("teacher"), null, Budget.unlimited()); RouterServer s = new RouterServer(r,
                new HttpSettings("127.0.0.1", 0, ApiKeys.of(List.of("k1"), "test"), false, List.of(), List.of(), false), "r", Clock.systemUTC())) {
            int port = s.start();
            HttpResponse<String> easy = post(port, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "k1");
            assertThat(easy.statusCode()).isEqualTo(200);
            assertThat(easy.headers().firstValue("X-Smelt-Target")).contains("small");
            assertThat(Canonical.JSON.readTree(easy.body()).path("choices").path(0).path("message").path("content").asText()).isEqualTo("a");

            HttpResponse<String> hard = post(port, "{\"messages\":[{\"role\":\"user\",\"content\":\"hard\"}],\"max_tokens\":4}", "k1");
            assertThat(hard.headers().firstValue("X-Smelt-Target")).contains("teacher");
            assertThat(hard.headers().firstValue("X-Smelt-Cost-USD")).contains("0.002");
            assertThat(hard.headers().firstValue("X-Smelt-Escalations")).contains("small");
            JsonNode hb = Canonical.JSON.readTree(hard.body());
            assertThat(hb.path("smelt").path("target").asText()).isEqualTo("teacher");

            HttpResponse<String> streamed = post(port, "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hard\"}]}", "k1");
            List<String> data = streamed.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
            assertThat(data.getLast()).isEqualTo("[DONE]");
            StringBuilder text = new StringBuilder();
            for (String d : data.subList(0, data.size() - 1)) {
                text.append(Canonical.JSON.readTree(d).path("choices").path(0).path("delta").path("content").asText(""));
            }
            // the cascade streams the small model's "b" before escalating; the teacher's "a" differs, so a restart chunk comes first
            assertThat(data).anySatisfy(d -> assertThat(d).contains("smelt_restart"));
            assertThat(text).hasToString("ba");
            assertThat(Canonical.JSON.readTree(data.get(data.size() - 2)).path("smelt").path("target").asText()).isEqualTo("teacher");

            assertThat(post(port, "{\"messages\":[]}", "k1").statusCode()).isEqualTo(400);
            HttpResponse<String> bad = post(port, "{oops", "k1");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(Canonical.JSON.readTree(bad.body()).path("error").path("message").asText()).contains("malformed JSON");
            assertThat(post(port, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null).statusCode()).isEqualTo(401);
            small.fail = true;
            teacher.fail = true;
            HttpResponse<String> down = post(port, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "k1");
            assertThat(down.statusCode()).isEqualTo(502);
            assertThat(down.body()).contains("every target failed");
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .header("Authorization", "Bearer k1").build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("smelt_router_requests_total{target=\"teacher\"} 2.0").contains("smelt_router_cost_usd_total{target=\"teacher\"}");
        }
    }

    /** `smelt route` follows `smelt serve`'s rules through the same code: 415, 403 for a foreign Host, ids, the router's name. */
    @Test
    void theRouterFollowsTheServersHttpRules() throws Exception {
        Scripted small = new Scripted("small", Map.of("hi", "a"), Map.of("hi", 0.99), BigDecimal.ZERO);
        try (Router r = new Router("router.yaml", Map.of("small", small), new CascadePolicy("small", "small", 0.5, null), List.of(), null,
                Budget.unlimited()); RouterServer s = new RouterServer(r, HttpSettings.local(0), RouterServer.defaultName(java.nio.file.Path.of("router.yaml")),
                Clock.systemUTC())) {
            int port = s.start();
            HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(plain.statusCode()).isEqualTo(415);
            assertThat(Canonical.JSON.readTree(plain.body()).path("error").path("code").asText()).isEqualTo("unsupported_media_type");
            try (java.net.Socket sock = new java.net.Socket("127.0.0.1", port)) {
                sock.getOutputStream().write(("GET /v1/models HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer = new String(sock.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 403").contains("permission_error");
            }
            JsonNode a = Canonical.JSON.readTree(post(port, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null).body());
            assertThat(a.path("id").asText()).startsWith("chatcmpl-");
            assertThat(a.path("created").asLong()).isPositive();
            assertThat(a.path("model").asText()).isEqualTo("router");
            JsonNode models = Canonical.JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models/router"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(models.path("id").asText()).isEqualTo("router");
            HttpResponse<String> streamed = post(port, "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null);
            JsonNode first = Canonical.JSON.readTree(streamed.body().lines().filter(l -> l.startsWith("data: {")).findFirst().orElseThrow().substring(6));
            assertThat(first.path("id").asText()).startsWith("chatcmpl-");
            assertThat(first.path("model").asText()).isEqualTo("router");
        }
    }
}
