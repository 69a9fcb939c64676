package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServedModels;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code smelt quantize all-minilm-l6-v2 OUT.gguf --type Q8_0}, then that file through {@code smelt embed}
 * and {@code smelt serve}'s /v1/embeddings, against onnxruntime's golden vectors; bad requests are clear errors.
 */
class EncoderGgufCommandTest {
    /** Q8_0 weights: the task's bound on cosine with the float32 model (onnxruntime's vectors). */
    static final double Q8_MIN_COSINE = 0.999;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path gguf;
    static JsonNode golden;

    @BeforeAll
    static void export() throws Exception {
        golden = JSON.readTree(SharedData.golden("encoder-embeddings.golden.json").toFile());
        gguf = dir.resolve("minilm-q8_0.gguf");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "quantize", "all-minilm-l6-v2", gguf.toString(), "--type", "Q8_0", "-t", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("bert encoder all-minilm-l6-v2, 6 layers, pooling mean, Q8_0");
    }

    @Test
    void embedReadsTheGguf() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            in.append(JSON.writeValueAsString(JSON.createObjectNode().put("text", golden.get("sentences").get(i).asText()))).append('\n');
        }
        EmbedCommandTest.Result r = EmbedCommandTest.run(in.toString(), "embed", "--model", gguf.toString(), "-t", "2");
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        assertThat(lines).hasSize(4);
        for (int i = 0; i < 4; i++) {
            double cos = EmbedCommandTest.cosine(golden.get("embeddings").get("all-minilm-l6-v2").get(i), JSON.readTree(lines[i]).get("embedding"));
            assertThat(cos).as("line %d", i).isGreaterThanOrEqualTo(Q8_MIN_COSINE);
        }
    }

    @Test
    void serveAnswersEmbeddingsFromTheGguf() throws Exception {
        String ref = ServedModels.embedderRef(gguf);
        assertThat(ref).isEqualTo(gguf.toString());
        String name = ServedModels.embedderName(ref);
        assertThat(name).isEqualTo("minilm-q8_0");
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 1, 512, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg), cfg.keepAlive());
        try (SmeltServer server = new SmeltServer(cfg, reg, ServedModels.embeddings(Map.of(name, ref), 2), Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + server.start();
            String body = JSON.createObjectNode().put("model", name).put("input", golden.get("sentences").get(1).asText()).toString();
            HttpResponse<String> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/embeddings"))
                    .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
            JsonNode v = JSON.readTree(resp.body()).path("data").get(0).path("embedding");
            assertThat(EmbedCommandTest.cosine(golden.get("embeddings").get("all-minilm-l6-v2").get(1), v))
                    .isGreaterThanOrEqualTo(Q8_MIN_COSINE);
        }
    }

    @Test
    void typesAnEncoderCannotTakeAreRefusedWithoutWritingAFile() {
        Path out = dir.resolve("q4.gguf");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "quantize", "all-minilm-l6-v2", out.toString(), "--type", "Q4_K_M");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--type Q4_K_M is not available for an encoder").contains("Q8_0").doesNotContain("\tat ");
        assertThat(Files.exists(out)).isFalse();
    }

    @Test
    void runOnAnEncoderPointsToEmbed() {
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "run", gguf.toString(), "-p", "hi", "-n", "1");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("a bert encoder, not a text generator").contains("smelt embed --model").doesNotContain("\tat ");
    }
}
