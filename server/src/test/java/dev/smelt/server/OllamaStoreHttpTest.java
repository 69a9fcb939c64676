package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.hub.ModelDownloader;
import dev.smelt.model.store.ModelStore;
import dev.smelt.testkit.HubStub;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ollama's /api/pull, /api/create, /api/copy, /api/delete over a temporary model store, pulling from a local stand-in for the hub. */
class OllamaStoreHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String REF = "hf:acme/bard-GGUF/Shakespeare.gguf";
    private static final String GREEDY = "\"options\":{\"temperature\":0,\"repeat_penalty\":1}";

    @TempDir
    Path home;
    private HubStub hub;
    private SmeltServer server;
    private String base;

    @BeforeEach
    void start() throws Exception {
        hub = new HubStub().put("acme/bard-GGUF", "Shakespeare.gguf", Files.readAllBytes(SharedData.model("shakespeare.gguf")));
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 256, 4, Duration.ofMinutes(5), false);
        ModelStore store = new ModelStore(home);
        ModelRegistry reg = new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg, (n, m) -> { }, Map.of(), store, Map.of()),
                cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC())
                .enableStore(new ModelDownloader(HTTP, hub.base(), home.resolve("unused"), false, null));
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close(Duration.ZERO);
        }
        if (hub != null) {
            hub.close();
        }
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> lines(HttpResponse<String> r) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : r.body().lines().toList()) {
            out.add(M.readTree(l));
        }
        return out;
    }

    private JsonNode generate(String model, String extraOptions) throws Exception {
        HttpResponse<String> r = send("POST", "/api/generate", "{\"model\":\"" + model + "\",\"prompt\":\"ROMEO:\",\"raw\":true,\"stream\":false,"
                + "\"options\":{\"temperature\":0,\"repeat_penalty\":1" + extraOptions + "}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return M.readTree(r.body());
    }

    private List<String> tags() throws Exception {
        JsonNode t = M.readTree(send("GET", "/api/tags", "").body());
        List<String> names = new ArrayList<>();
        t.path("models").forEach(m -> names.add(m.path("name").asText()));
        return names;
    }

    @Test
    void pullStreamsProgressThenTheModelIsListedAndServed() throws Exception {
        HttpResponse<String> r = send("POST", "/api/pull", "{\"model\":\"" + REF + "\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
        List<JsonNode> lines = lines(r);
        assertThat(lines.getFirst().path("status").asText()).isEqualTo("pulling manifest");
        assertThat(lines.getLast().path("status").asText()).as(r.body()).isEqualTo("success");
        JsonNode lastProgress = lines.stream().filter(l -> l.has("completed")).reduce((a, b) -> b).orElseThrow();
        assertThat(lastProgress.path("completed").asLong()).isEqualTo(lastProgress.path("total").asLong()).isPositive();

        JsonNode tags = M.readTree(send("GET", "/api/tags", "").body()).path("models").get(0);
        assertThat(tags.path("name").asText()).isEqualTo("shakespeare:latest");
        assertThat(tags.path("digest").asText()).isEqualTo(HubStub.sha256(Files.readAllBytes(SharedData.model("shakespeare.gguf"))));
        assertThat(tags.path("details").path("format").asText()).isEqualTo("gguf");
        // the same weights served by path report a parameter size: the stored name reports the same one
        assertThat(tags.path("details").path("parameter_size").asText())
                .isNotEmpty().isEqualTo(ModelInfo.of(SharedData.model("shakespeare.gguf")).parameterSize());

        JsonNode openAi = M.readTree(send("GET", "/v1/models", "").body());
        assertThat(openAi.path("data").get(0).path("id").asText()).isEqualTo("shakespeare");
        assertThat(send("GET", "/v1/models/shakespeare:latest", "").statusCode()).isEqualTo(200);
        JsonNode g = generate("shakespeare:latest", ",\"num_predict\":12");
        assertThat(g.path("response").asText()).startsWith("\nThat is the world"); // the greedy reference of this model
        assertThat(generate(REF, ",\"num_predict\":2").path("eval_count").asInt()).isEqualTo(2); // the hf: reference names it too
    }

    @Test
    void createHonoursParametersAndSystemThenCopyAndDelete() throws Exception {
        assertThat(send("POST", "/api/pull", "{\"model\":\"" + REF + "\",\"stream\":false}").body()).isEqualTo("{\"status\":\"success\"}");
        HttpResponse<String> r = send("POST", "/api/create", "{\"model\":\"short\",\"from\":\"shakespeare\",\"parameters\":{\"num_predict\":3},"
                + "\"system\":\"You are a bard.\",\"stream\":false}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(generate("short", "").path("eval_count").asInt()).isEqualTo(3); // PARAMETER num_predict
        assertThat(generate("short", ",\"num_predict\":5").path("eval_count").asInt()).isEqualTo(5); // the request wins
        String chat = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false," + GREEDY.replace("}", ",\"num_predict\":1}");
        JsonNode plain = M.readTree(send("POST", "/api/chat", "{\"model\":\"shakespeare\"," + chat + "}").body());
        JsonNode withSystem = M.readTree(send("POST", "/api/chat", "{\"model\":\"short\"," + chat + "}").body());
        assertThat(withSystem.path("prompt_eval_count").asInt()).isGreaterThan(plain.path("prompt_eval_count").asInt()); // SYSTEM was added

        JsonNode show = M.readTree(send("POST", "/api/show", "{\"model\":\"short\"}").body());
        assertThat(show.path("parameters").asText()).isEqualTo("num_predict 3\n");
        assertThat(show.path("system").asText()).isEqualTo("You are a bard.");
        assertThat(show.path("modelfile").asText()).contains("FROM ", "SYSTEM \"\"\"You are a bard.\"\"\"", "PARAMETER num_predict 3");
        List<String> listedTimes = new ArrayList<>();
        M.readTree(send("GET", "/api/tags", "").body()).path("models").forEach(m -> {
            if (m.path("name").asText().equals("short:latest")) {
                listedTimes.add(m.path("modified_at").asText());
            }
        });
        assertThat(listedTimes).containsExactly(show.path("modified_at").asText()); // one time for one model, whichever endpoint asks

        r = send("POST", "/api/create", "{\"model\":\"legacy\",\"modelfile\":\"FROM shakespeare\\nPARAMETER num_predict 4\"}");
        assertThat(lines(r).getLast().path("status").asText()).as(r.body()).isEqualTo("success");
        assertThat(generate("legacy", "").path("eval_count").asInt()).isEqualTo(4);

        assertThat(send("POST", "/api/copy", "{\"source\":\"short\",\"destination\":\"short2:v1\"}").statusCode()).isEqualTo(200);
        assertThat(tags()).contains("shakespeare:latest", "short:latest", "short2:v1", "legacy:latest");
        assertThat(generate("short2:v1", "").path("eval_count").asInt()).isEqualTo(3);
        assertThat(send("DELETE", "/api/delete", "{\"model\":\"short2:v1\"}").statusCode()).isEqualTo(200);
        assertThat(tags()).doesNotContain("short2:v1");
        r = send("POST", "/api/generate", "{\"model\":\"short2:v1\",\"prompt\":\"x\",\"stream\":false}");
        assertThat(r.statusCode()).isEqualTo(404);
        r = send("DELETE", "/api/delete", "{\"model\":\"short2:v1\"}");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("short2:v1");
    }

    @Test
    void badRequestsAreOllamaErrorsNamingTheProblem() throws Exception {
        HttpResponse<String> r = send("POST", "/api/pull", "{\"model\":\"llama3\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("hf:OWNER/REPO/FILE.gguf");
        r = send("POST", "/api/pull", "{\"model\":\"hf:acme/bard-GGUF/missing.gguf\",\"stream\":false}");
        assertThat(r.statusCode()).isEqualTo(404);
        hub.announceSha("0".repeat(64));
        r = send("POST", "/api/pull", "{\"model\":\"" + REF + "\"}");
        assertThat(lines(r).getLast().path("error").asText()).contains("SHA-256 mismatch");
        assertThat(tags()).isEmpty();
        r = send("POST", "/api/create", "{\"model\":\"x\",\"modelfile\":\"FROM y\\nLICENSE MIT\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("modelfile:2: LICENSE is not supported");
        r = send("POST", "/api/create", "{\"model\":\"x\",\"from\":\"y\",\"files\":{\"a.gguf\":\"sha256:00\"}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("files");
        r = send("POST", "/api/create", "{\"model\":\"x\",\"from\":\"nothing\",\"stream\":false}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").asText()).contains("FROM nothing is neither a file");
        r = send("POST", "/api/copy", "{\"source\":\"nothing\",\"destination\":\"y\"}");
        assertThat(r.statusCode()).isEqualTo(404);
        r = send("POST", "/api/copy", "{\"source\":\"nothing\",\"destination\":\"bad name\"}");
        assertThat(r.statusCode()).isEqualTo(400);
    }
}
