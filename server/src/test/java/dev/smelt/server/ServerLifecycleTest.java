package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Several models with keep-alive, the bounded queue, client disconnects and graceful shutdown, on the real server. */
class ServerLifecycleTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final long WAIT_MILLIS = 20_000;
    /** A stream as long as the context allows: the checks made while it runs have the most time. */
    private static final int STREAM_TOKENS = 2000;

    private static ServerConfig config(int slots, int queue) {
        // one engine thread leaves a core to the test thread, whose checks race the generation (2,048: the model's context)
        return new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 1, slots, 2048, queue, Duration.ofMinutes(5), false);
    }

    @Test
    void modelsLoadOnFirstUseAndUnloadAfterTheirKeepAlive() {
        Path a = SharedData.model("shakespeare.gguf");
        Path b = SharedData.model("llama-Q4_0.gguf");
        AtomicLong now = new AtomicLong(1_000);
        ServerConfig cfg = config(1, 1);
        try (ModelRegistry reg = new ModelRegistry(List.of("shakespeare", "llama-Q4_0"), Map.of("default", "shakespeare"),
                new GgufModelLoader(Map.of("shakespeare", a, "llama-Q4_0", b), cfg), Duration.ofMinutes(5), now::get, false)) {
            assertThat(reg.loadedModels()).isEmpty();
            ModelRegistry.Lease la = reg.acquire("default");
            assertThat(la.model().name()).isEqualTo("shakespeare");
            assertThat(reg.isLoaded("llama-Q4_0")).isFalse();
            try (ModelRegistry.Lease lb = reg.acquire("llama-Q4_0")) {
                assertThat(reg.loadedModels()).hasSize(2);
                lb.model().keepAlive(Duration.ofSeconds(-1)); // forever
            }
            now.addAndGet(Duration.ofMinutes(10).toNanos());
            reg.sweep();
            assertThat(reg.isLoaded("shakespeare")).as("leased models stay").isTrue();
            la.close();
            now.addAndGet(Duration.ofMinutes(4).toNanos());
            reg.sweep();
            assertThat(reg.isLoaded("shakespeare")).as("idle 4 of 5 minutes").isTrue();
            now.addAndGet(Duration.ofMinutes(1).toNanos());
            reg.sweep();
            assertThat(reg.isLoaded("shakespeare")).as("idle 5 minutes").isFalse();
            assertThat(reg.isLoaded("llama-Q4_0")).as("keep_alive -1").isTrue();
            try (ModelRegistry.Lease again = reg.acquire("shakespeare")) {
                assertThat(again.model().engine().activeRequests()).isZero(); // loaded afresh
                again.model().keepAlive(Duration.ZERO);
            }
            assertThat(reg.isLoaded("shakespeare")).as("keep_alive 0 unloads when the request ends").isFalse();
        }
    }

    @Test
    void fullQueueIs429WithRetryAfterAndDisconnectFreesTheSlot() throws Exception {
        try (Running s = new Running(config(1, 0))) {
            // a raw socket: closing it ends the TCP connection at once (HttpClient may keep a closed body's connection)
            java.net.Socket stream = s.openRawStream(STREAM_TOKENS);
            HttpResponse<String> second = s.post("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"max_tokens\":2}");
            assertThat(second.statusCode()).as(second.body()).isEqualTo(429);
            assertThat(second.headers().firstValue("Retry-After")).isPresent();
            assertThat(M.readTree(second.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
            stream.close(); // the client goes away mid-stream
            ServedModel m = s.server.models().loadedModels().get(0);
            long deadline = System.currentTimeMillis() + WAIT_MILLIS;
            while (m.engine().activeRequests() > 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(m.engine().activeRequests()).as("slot freed after disconnect").isZero();
            assertThat(m.engine().stats().generatedTokens.get()).isLessThan(STREAM_TOKENS);
            assertThat(s.post("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"max_tokens\":2}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shutdownRefusesNewWorkWith503AndEndsInFlightStreams() throws Exception {
        Running s = new Running(config(2, 4));
        InputStream stream = s.openStream(STREAM_TOKENS);
        // a grace far longer than a starved test thread's stall: the 503 below must meet a server still running
        // (the stream ends on its own or at the grace's end; both end with [DONE])
        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> s.server.close(Duration.ofSeconds(10)));
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (s.get("/health").statusCode() == 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertThat(s.server.inFlight()).as("the stream is still running during the grace period").isEqualTo(1);
        HttpResponse<String> r = s.post("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"x\",\"max_tokens\":2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        String rest = new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(rest).as("the in-flight stream ends cleanly").contains("data: [DONE]");
        closing.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A server on shakespeare.gguf. */
    static final class Running implements AutoCloseable {
        final SmeltServer server;
        final String base;
        final HttpClient http = HttpClient.newHttpClient();

        Running(ServerConfig cfg) {
            ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of(),
                    new GgufModelLoader(Map.of("shakespeare", SharedData.model("shakespeare.gguf")), cfg), cfg.keepAlive());
            server = new SmeltServer(cfg, reg, Clock.systemUTC());
            base = "http://127.0.0.1:" + server.start();
        }

        HttpResponse<String> post(String path, String body) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> get(String path) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }

        /** Starts a long streaming completion and returns once its first token arrived. */
        /** A streaming completion over a plain socket, read up to its first data line. */
        java.net.Socket openRawStream(int maxTokens) throws Exception {
            URI u = URI.create(base);
            java.net.Socket sock = new java.net.Socket(u.getHost(), u.getPort());
            byte[] body = ("{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":" + maxTokens + ",\"stream\":true}")
                    .getBytes(StandardCharsets.UTF_8);
            String head = "POST /v1/completions HTTP/1.1\r\nHost: " + u.getHost() + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n";
            sock.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            sock.getOutputStream().write(body);
            sock.getOutputStream().flush();
            InputStream in = sock.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) >= 0; ) {
                if (c == '\n') {
                    if (line.toString().startsWith("data: ")) {
                        return sock;
                    }
                    line.setLength(0);
                } else if (c != '\r') {
                    line.append((char) c);
                }
            }
            sock.close();
            throw new AssertionError("stream ended before its first token");
        }

        InputStream openStream(int maxTokens) throws Exception {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":" + maxTokens
                            + ",\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = r.body();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) >= 0; ) { // read up to the first data line
                if (c == '\n') {
                    if (line.toString().startsWith("data: ")) {
                        JsonNode first = M.readTree(line.substring(6));
                        assertThat(first.path("choices").isArray()).isTrue();
                        return in;
                    }
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
            throw new AssertionError("stream ended before its first token");
        }

        @Override
        public void close() {
            server.close(Duration.ZERO);
        }
    }

    static BufferedReader reader(InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
}
