package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.Linear;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: a failure inside the engine fails the request it hit (500 in OpenAI's error shape, or an error event on
 * a stream) and the next request is served; a stopped engine turns {@code /health} to 503 and shows in
 * {@code /metrics}. The failure is injected as a projection that throws once when armed.
 */
class EngineHealthHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String BODY = "{\"model\":\"shakespeare\",\"prompt\":\"To be\",\"max_tokens\":4,\"temperature\":0";

    /** A projection that throws in the next forward step once armed, then works again. */
    private record Tripwire(Linear inner, AtomicBoolean armed) implements Linear {
        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public int rows() {
            return inner.rows();
        }

        @Override
        public int cols() {
            return inner.cols();
        }

        @Override
        public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
            if (armed.compareAndSet(true, false)) {
                throw new IllegalStateException("injected failure in " + inner.name());
            }
            inner.matmul(pool, x, batch, out);
        }
    }

    private static SmeltServer server(AtomicBoolean armed) {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 256, 4, Duration.ofMinutes(5), false);
        GgufModelLoader loader = new GgufModelLoader(Map.of("shakespeare", SharedData.model("shakespeare.gguf")), cfg,
                (name, m) -> m.transformLinears(l -> l.name().startsWith("blk.0.attn_q") ? new Tripwire(l, armed) : l));
        return new SmeltServer(cfg, new ModelRegistry(List.of("shakespeare"), Map.of(), loader, cfg.keepAlive()), Clock.systemUTC());
    }

    private static HttpResponse<String> send(String base, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        b = body == null ? b.GET() : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(String base, String name) throws Exception {
        for (String line : send(base, "/metrics", null).body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }

    @Test
    void aFailedStepFailsItsRequestWith500AndTheNextOneIsServed() throws Exception {
        AtomicBoolean armed = new AtomicBoolean();
        try (SmeltServer s = server(armed)) {
            String base = "http://127.0.0.1:" + s.start();
            assertThat(send(base, "/v1/completions", BODY + "}").statusCode()).isEqualTo(200); // loads the model
            armed.set(true);
            HttpResponse<String> failed = send(base, "/v1/completions", BODY + "}");
            assertThat(failed.statusCode()).as(failed.body()).isEqualTo(500);
            JsonNode e = M.readTree(failed.body()).path("error");
            assertThat(e.path("type").asText()).isEqualTo("server_error");
            assertThat(e.path("message").asText()).contains("generation failed").contains("injected failure in blk.0.attn_q");

            armed.set(true);
            HttpResponse<String> stream = send(base, "/v1/completions", BODY + ",\"stream\":true}");
            assertThat(stream.body()).as("the stream ends with an error event").contains("injected failure");

            HttpResponse<String> next = send(base, "/v1/completions", BODY + "}");
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
            assertThat(M.readTree(next.body()).at("/choices/0/finish_reason").asText()).isEqualTo("length");
            assertThat(send(base, "/health", null).statusCode()).isEqualTo(200);
            assertThat(metric(base, "smelt_engine_failed_steps_total")).isEqualTo(2.0);
            assertThat(metric(base, "smelt_engine_failed_requests_total")).isEqualTo(2.0);
            assertThat(metric(base, "smelt_engines_unhealthy")).isZero();
        }
    }

    @Test
    void aStoppedEngineMakesHealth503AndShowsInMetrics() throws Exception {
        try (SmeltServer s = server(new AtomicBoolean())) {
            String base = "http://127.0.0.1:" + s.start();
            assertThat(send(base, "/v1/completions", BODY + "}").statusCode()).isEqualTo(200);
            assertThat(send(base, "/health", null).statusCode()).isEqualTo(200);
            s.models().loadedModels().getFirst().engine().close(); // what a dead engine thread looks like from outside

            HttpResponse<String> health = send(base, "/health", null);
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).contains("the engine of model 'shakespeare' has stopped");
            assertThat(metric(base, "smelt_engines_unhealthy")).isEqualTo(1.0);
            HttpResponse<String> refused = send(base, "/v1/completions", BODY + "}");
            assertThat(refused.statusCode()).as("refused at once, not queued forever").isEqualTo(503);
            assertThat(M.readTree(refused.body()).at("/error/type").asText()).isEqualTo("server_error");
        }
    }
}
