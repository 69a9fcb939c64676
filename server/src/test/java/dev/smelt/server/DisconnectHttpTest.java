package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.runtime.engine.BatchEngine;
import dev.smelt.testkit.SharedData;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A client that hangs up on a non-streaming request cancels its sequence and frees the slot (real HTTP, raw socket). */
class DisconnectHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    /** As long as the model's 2,048 context allows: the hang-up must land before the request ends on its own. */
    private static final int MAX = 2000;
    private static SmeltServer server;
    private static ModelRegistry registry;
    private static int port;

    @BeforeAll
    static void start() {
        // one engine thread: slower generation and a free core for the test thread, which races it
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of("sk-test"), false, List.of(), 1, 1, 2048, 4,
                Duration.ofMinutes(5), false);
        registry = new ModelRegistry(List.of("s"), Map.of(), new GgufModelLoader(Map.of("s", SharedData.model("shakespeare.gguf")), cfg),
                cfg.keepAlive());
        server = new SmeltServer(cfg, registry, Clock.systemUTC());
        port = server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer sk-test").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/v1/completions|{\"model\":\"s\",\"prompt\":\"ROMEO:\",\"max_tokens\":2000,\"temperature\":0}|usage",
        "/api/generate|{\"model\":\"s\",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false,\"options\":{\"temperature\":0,\"num_predict\":2000}}|eval_count"})
    void hangingUpCancelsTheSequence(String path, String body, String countField) throws Exception {
        // control: undisturbed, the request runs all MAX tokens
        HttpResponse<String> full = post(path, body);
        assertThat(full.statusCode()).as(full.body()).isEqualTo(200);
        JsonNode o = M.readTree(full.body());
        int count = countField.equals("usage") ? o.path("usage").path("completion_tokens").asInt() : o.path(countField).asInt();
        assertThat(count).as("control run length").isEqualTo(MAX);

        BatchEngine engine = registry.get("s").engine();
        long before = engine.stats().generatedTokens.get();
        try (Socket s = new Socket("127.0.0.1", port)) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-test\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (engine.stats().generatedTokens.get() - before < 5 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(engine.activeRequests()).as("the request is generating").isEqualTo(1);
        } // hang up
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (engine.activeRequests() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(engine.activeRequests()).as("slot freed after the client hung up").isZero();
        long generated = engine.stats().generatedTokens.get() - before;
        assertThat(generated).as("tokens generated before the cancel").isLessThan(MAX);
        // the server is unharmed and the slot serves the next request
        assertThat(post(path, body.replace("2000", "3")).statusCode()).isEqualTo(200);
    }
}
