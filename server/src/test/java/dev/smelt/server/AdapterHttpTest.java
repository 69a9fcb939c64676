package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.LoraFiles;
import dev.smelt.model.lora.RandomLora;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code smelt serve BASE --adapter A=… --adapter B=…}: per-request LoRA adapters over HTTP on one loaded base. */
class AdapterHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @TempDir
    static Path dir;
    private static SmeltServer server;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        Path model = SharedData.model("shakespeare.gguf");
        Map<String, Path> adapters = new LinkedHashMap<>();
        try (DecoderModel m = Models.load(model)) {
            LoraBase lb = LoraBase.of(m.file());
            for (String name : List.of("A", "B")) {
                Path d = dir.resolve(name);
                Files.createDirectories(d);
                LoraFiles.writeAll(RandomLora.create(m, 4, 8f, List.of(), name.charAt(0), 0.1f), lb, 0f, d);
                adapters.put(name, name.equals("A") ? d : d.resolve(LoraFiles.GGUF_NAME)); // PEFT dir and adapter.gguf
            }
        }
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of("sk-test"), false, List.of(), 2, 4, 256, 8,
                Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("s"), Map.of(),
                new GgufModelLoader(Map.of("s", model), cfg, (n, m) -> { }, Map.of("s", adapters)), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Authorization", "Bearer sk-test")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String completion(String modelField) throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{" + modelField + ",\"prompt\":\"ROMEO:\",\"max_tokens\":12,\"temperature\":0}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return M.readTree(r.body()).path("choices").get(0).path("text").asText();
    }

    @Test
    void listsAdaptersAsBasePlusName() throws Exception {
        JsonNode models = M.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).header("Authorization", "Bearer sk-test")
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(models.path("data").findValuesAsText("id")).containsExactly("s", "s+A", "s+B");
        JsonNode tags = M.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/tags")).header("Authorization", "Bearer sk-test")
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(tags.path("models").findValuesAsText("name")).containsExactly("s:latest", "s+A:latest", "s+B:latest");
    }

    @Test
    void ollamaShowAndPsListAdaptersAsBasePlusName() throws Exception {
        assertThat(completion("\"model\":\"s+B\"")).isNotNull(); // loads the base with its adapters
        JsonNode ps = M.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/ps")).header("Authorization", "Bearer sk-test")
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(ps.path("models").findValuesAsText("name")).containsExactly("s:latest", "s+A:latest", "s+B:latest");
        assertThat(ps.path("models").get(1).path("details").path("parent_model").asText()).isEqualTo("s");
        assertThat(ps.path("models").get(0).path("details").path("parent_model").asText()).isEmpty();

        HttpResponse<String> show = post("/api/show", "{\"model\":\"s+A:latest\"}"); // as /api/tags lists it
        assertThat(show.statusCode()).as(show.body()).isEqualTo(200);
        JsonNode s = M.readTree(show.body());
        assertThat(s.path("details").path("parent_model").asText()).isEqualTo("s");
        assertThat(s.path("modelfile").asText()).contains("FROM ").contains("ADAPTER " + dir.resolve("A"));
        assertThat(s.path("model_info").path("general.architecture").asText()).isEqualTo("llama");
        HttpResponse<String> plain = post("/api/show", "{\"model\":\"s\"}");
        assertThat(M.readTree(plain.body()).path("modelfile").asText()).doesNotContain("ADAPTER");

        HttpResponse<String> unknown = post("/api/show", "{\"model\":\"s+C\"}");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
        assertThat(M.readTree(unknown.body()).path("error").asText()).contains("s+C").contains("no adapter 'C'").contains("A, B");
    }

    @Test
    void concurrentRequestsOnDifferentAdaptersMatchEachAlone() throws Exception {
        List<String> fields = List.of("\"model\":\"s\"", "\"model\":\"s+A\"", "\"model\":\"s\",\"adapter\":\"B\"");
        List<String> alone = new ArrayList<>();
        for (String f : fields) {
            alone.add(completion(f));
        }
        assertThat(alone.get(1)).as("adapter A changes the output").isNotEqualTo(alone.get(0));
        assertThat(alone.get(2)).as("adapters differ").isNotEqualTo(alone.get(1)).isNotEqualTo(alone.get(0));
        assertThat(completion("\"model\":\"s\",\"adapter\":\"A\"")).as("adapter field = base+name").isEqualTo(alone.get(1));
        HttpResponse<String> named = post("/v1/completions", "{\"model\":\"s\",\"adapter\":\"A\",\"prompt\":\"x\",\"max_tokens\":1}");
        assertThat(M.readTree(named.body()).path("model").asText()).as("responses name the adapter").isEqualTo("s+A");
        for (int round = 0; round < 2; round++) {
            List<CompletableFuture<String>> together = new ArrayList<>();
            for (String f : fields) {
                together.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return completion(f);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (int i = 0; i < fields.size(); i++) {
                assertThat(together.get(i).get()).as("%s concurrently", fields.get(i)).isEqualTo(alone.get(i));
            }
        }
    }

    @Test
    void ollamaSelectsAdaptersByNameOrField() throws Exception {
        String byName = ollama("\"model\":\"s+B\"");
        HttpResponse<String> r = post("/api/generate", "{\"model\":\"s\",\"adapter\":\"B\",\"prompt\":\"x\",\"raw\":true,\"stream\":false,"
                + "\"options\":{\"num_predict\":1}}");
        assertThat(M.readTree(r.body()).path("model").asText()).isEqualTo("s+B");
        assertThat(ollama("\"model\":\"s\",\"adapter\":\"B\"")).isEqualTo(byName);
        assertThat(ollama("\"model\":\"s\"")).isNotEqualTo(byName);
    }

    private static String ollama(String modelField) throws Exception {
        HttpResponse<String> r = post("/api/generate", "{" + modelField
                + ",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false,\"options\":{\"temperature\":0,\"num_predict\":12}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return M.readTree(r.body()).path("response").asText();
    }

    @Test
    void unknownAdapterIsA404InOpenAisShape() throws Exception {
        for (String body : List.of("{\"model\":\"s+C\",\"prompt\":\"x\"}", "{\"model\":\"s\",\"adapter\":\"C\",\"prompt\":\"x\"}")) {
            HttpResponse<String> r = post("/v1/completions", body);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
            JsonNode e = M.readTree(r.body()).path("error");
            assertThat(e.path("message").asText()).contains("'C'").contains("A, B");
            assertThat(e.path("code").asText()).isEqualTo("model_not_found");
            assertThat(e.path("param").asText()).isEqualTo("model");
        }
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"s\",\"adapter\":7,\"prompt\":\"x\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("param").asText()).isEqualTo("adapter");
    }

    @Test
    void badAdapterFileIsAnErrorNamingIt() throws Exception {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        try (var f = dev.smelt.model.gguf.GgufFile.open(SharedData.model("shakespeare.gguf"))) {
            assertThatThrownBy(() -> GgufModelLoader.readAdapters(Map.of("x", bad), LoraBase.of(f)))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("adapter 'x'").hasMessageContaining(bad.toString());
        }
    }
}
