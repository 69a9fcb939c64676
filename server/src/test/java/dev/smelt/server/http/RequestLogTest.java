package dev.smelt.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** #13: request logs are one JSON object per line and nothing else, for log shippers; prompts only when asked. */
class RequestLogTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void everyRequestIsOneJsonLineWithTimeEventRouteStatusAndModel() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
        Javalin app = HttpApp.create(HttpSettings.local(0), new RequestLog(clock, lines::add));
        app.post("/v1/echo", ctx -> {
            ctx.attribute(HttpApp.MODEL_ATTRIBUTE, "m1");
            ctx.result(HttpApp.jsonBody(ctx).toString());
        });
        try {
            int port = HttpApp.start(app, "127.0.0.1", 0);
            assertThat(RawHttp.post(port, "/v1/echo", Map.of("Content-Type", "application/json"), "{\"secret\":\"prompt\"}").status()).isEqualTo(200);
            assertThat(RawHttp.post(port, "/v1/echo", Map.of("Content-Type", "text/plain"), "x").status()).isEqualTo(415);
            assertThat(RawHttp.send(port, "GET", "/nowhere", Map.of(), new byte[0]).status()).isEqualTo(404);
        } finally {
            app.stop();
        }
        assertThat(lines).hasSize(3);
        for (String l : lines) {
            assertThat(l).doesNotContain("\n").startsWith("{").endsWith("}").doesNotContain("secret");
            JsonNode o = M.readTree(l);
            assertThat(o.path("time").asText()).isEqualTo("2026-01-02T03:04:05Z");
            assertThat(o.path("event").asText()).isEqualTo("http_request");
            assertThat(o.has("status") && o.has("duration_ms") && o.has("method") && o.has("route")).isTrue();
        }
        assertThat(M.readTree(lines.get(0)).path("model").asText()).isEqualTo("m1");
        assertThat(M.readTree(lines.get(0)).path("route").asText()).isEqualTo("/v1/echo");
        assertThat(M.readTree(lines.get(1)).path("status").asInt()).isEqualTo(415);
        assertThat(M.readTree(lines.get(2)).path("status").asInt()).isEqualTo(404);
    }
}
