package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import dev.smelt.server.http.RawHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Runs API of a real {@code smelt serve --runs DIR} (API key set) over a folder written by smelt's own writers
 * ({@link RunsFixture}): every kind of run listed, curves, config and files of each, bad files reported per run, eval
 * results compared, and nothing outside the folder served — neither through {@code ..} nor through a symbolic link.
 */
class RunsHttpTest {
    private static final String KEY = "sk-runs";
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String SECRET = "outside the runs folder";
    @TempDir
    static Path tmp;
    private static SmeltServer server;
    private static int port;
    private static Map<String, JsonNode> byPath;

    @BeforeAll
    static void start() throws Exception {
        Path root = RunsFixture.write(Files.createDirectories(tmp.resolve("runs")));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), SECRET);
        Files.writeString(outside.resolve("result.json"), "{\"task\": \"" + SECRET + "\", \"results\": []}");
        Files.createSymbolicLink(root.resolve(RunsFixture.EVAL_A).resolve("secret.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("linked-out"), outside); // a folder link leading out, holding a result.json
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(KEY), false, List.of(), 1, 1, 256, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg), cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC()).enableRuns(root);
        port = server.start();
        JsonNode list = json(get("/api/smelt/runs", KEY), 200);
        byPath = new HashMap<>();
        list.path("runs").forEach(r -> byPath.put(r.path("path").asText(), r));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close(Duration.ZERO);
        }
    }

    private static HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return M.readTree(r.body());
    }

    private static String id(String path) {
        assertThat(byPath).as("runs listed").containsKey(path);
        return byPath.get(path).path("id").asText();
    }

    private static JsonNode detail(String path) throws Exception {
        return json(get("/api/smelt/runs/" + id(path), KEY), 200);
    }

    private static JsonNode chart(JsonNode run, String title) {
        for (JsonNode c : run.path("charts")) {
            if (c.path("title").asText().equals(title)) {
                return c;
            }
        }
        throw new AssertionError("no chart '" + title + "' in " + run.path("charts"));
    }

    private static List<String> names(JsonNode arr, String field) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    @Test
    void listsEveryKindOfRunAndEachBadFileForItsRunOnly() {
        String mlflowPath = byPath.keySet().stream().filter(p -> p.startsWith("tracking/mlruns/0/")).findFirst().orElseThrow();
        assertThat(byPath.get(RunsFixture.FINETUNE).path("kind").asText()).isEqualTo("finetune");
        assertThat(byPath.get(RunsFixture.FINETUNE).path("summary").asText()).startsWith("3 steps, loss ");
        assertThat(byPath.get(mlflowPath).path("kind").asText()).isEqualTo("mlflow");
        assertThat(byPath.get(mlflowPath).path("name").asText()).isEqualTo(RunsFixture.MLFLOW_NAME);
        assertThat(byPath.get(RunsFixture.EVAL_A).path("kind").asText()).isEqualTo("eval");
        assertThat(byPath.get(RunsFixture.EVAL_B).path("targets").get(0).asText()).isEqualTo("model " + RunsFixture.XSS);
        assertThat(byPath.get("broken").path("error").asText()).isEqualTo("metrics.csv: line 3: loss 'oops' is not a number");
        assertThat(byPath.get("bad-eval").path("error").asText()).startsWith("result.json: malformed JSON at line 1").doesNotContain("Source");
        assertThat(byPath.keySet()).as("the finetune run's own MLflow copy is part of it; the link out of the folder is not followed")
                .noneMatch(p -> p.startsWith(RunsFixture.FINETUNE + "/") || p.startsWith("linked-out"));
        assertThat(byPath.get(RunsFixture.CLASSIFIER).path("kind").asText()).isEqualTo("classifier");
        assertThat(byPath.get(RunsFixture.CLASSIFIER).path("summary").asText()).startsWith("head classifier, validation accuracy ");
        assertThat(byPath).hasSize(7);
    }

    @Test
    void finetuneRunHasLossAndLearningRateCurvesConfigAndAdapterFiles() throws Exception {
        JsonNode run = detail(RunsFixture.FINETUNE);
        assertThat(run.path("errors")).isEmpty();
        JsonNode loss = chart(run, "Loss");
        assertThat(loss.path("x").toString()).isEqualTo("[1.0,2.0,3.0]");
        assertThat(names(loss.path("series"), "name")).containsExactly("loss", "eval_loss");
        assertThat(loss.path("series").get(0).path("values").get(2).isNumber()).isTrue();
        assertThat(chart(run, "Learning rate").path("series").get(0).path("name").asText()).isEqualTo("lr");
        assertThat(run.path("config").path("lora_r").asText()).isEqualTo("4");
        assertThat(run.path("config").path("max_steps").asText()).isEqualTo("3");
        assertThat(run.path("status").asText()).isEqualTo("finished");
        assertThat(run.path("adapter_config").path("r").asInt()).isEqualTo(4);
        Path dir = tmp.resolve("runs").resolve(RunsFixture.FINETUNE);
        Map<String, Long> files = new HashMap<>();
        run.path("files").forEach(f -> files.put(f.path("name").asText(), f.path("bytes").asLong()));
        for (String f : List.of("adapter_model.safetensors", "adapter_config.json", "adapter.gguf", "checkpoint.safetensors", "metrics.csv")) {
            assertThat(files).containsEntry(f, Files.size(dir.resolve(f)));
        }
        HttpResponse<String> csv = get(run.path("files").get(0).path("url").asText().replaceAll("/files/.*", "/files/metrics.csv"), KEY);
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.body()).isEqualTo(Files.readString(dir.resolve("metrics.csv")));
    }

    @Test
    void thePageShellLoadsWithoutAKeyUnderTheStrictPolicy() throws Exception {
        HttpResponse<String> page = get("/runs", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).isEqualTo(WebUi.CSP);
        assertThat(page.body()).contains("<script type=\"module\" src=\"/ui/runs.js\"></script>").doesNotContain("<script>")
                .doesNotContain("style=");
        assertThat(get("/ui/runs.js", null).statusCode()).isEqualTo(200);
    }

    @Test
    void classifierRunShowsItsTrainingReportAsConfig() throws Exception {
        JsonNode run = detail(RunsFixture.CLASSIFIER);
        assertThat(run.path("errors")).isEmpty();
        assertThat(run.path("config").path("labels").asInt()).isEqualTo(2);
        assertThat(run.path("config").path("encoder").asText()).isEqualTo("test-encoder");
        assertThat(run.path("config").path("validation_accuracy").isNumber()).isTrue();
        assertThat(run.path("config").path("method").asText()).isEqualTo("head");
        assertThat(names(run.path("files"), "name")).containsExactly("classifier.json");
    }

    @Test
    void mlflowRunHasItsCurvesParamsAndStatus() throws Exception {
        String path = byPath.keySet().stream().filter(p -> p.startsWith("tracking/mlruns/0/")).findFirst().orElseThrow();
        JsonNode run = detail(path);
        assertThat(run.path("errors")).isEmpty();
        assertThat(run.path("name").asText()).isEqualTo(RunsFixture.MLFLOW_NAME);
        assertThat(run.path("status").asText()).isEqualTo("finished");
        JsonNode loss = chart(run, "Loss");
        assertThat(loss.path("x")).hasSize(10);
        assertThat(loss.path("series").get(0).path("values").get(1).asDouble()).isCloseTo(1.5, within(1e-12));
        assertThat(chart(run, "Learning rate").path("series").get(0).path("values").get(0).asDouble()).isCloseTo(2e-4 * 0.95, within(1e-12));
        assertThat(run.path("config").path("note").asText()).isEqualTo(RunsFixture.XSS);
        JsonNode acc = chart(run, "Accuracy").path("series").get(0);
        assertThat(acc.path("name").asText()).isEqualTo("eval/accuracy");
        assertThat(acc.path("values").toString()).isEqualTo("[null,null,null,null,0.625,null,null,null,null,0.75]");
    }

    @Test
    void corruptFilesAreErrorsOfTheirRunNotFailures() throws Exception {
        JsonNode broken = detail("broken");
        assertThat(broken.path("errors").get(0).asText()).isEqualTo("metrics.csv: line 3: loss 'oops' is not a number");
        JsonNode bad = detail("bad-eval");
        assertThat(bad.path("errors").get(0).asText()).startsWith("result.json: malformed JSON");
        assertThat(names(bad.path("files"), "name")).containsExactly("result.json");
        JsonNode c = json(get("/api/smelt/compare?a=" + id("bad-eval") + "&b=" + id(RunsFixture.EVAL_A), KEY), 400);
        assertThat(c.path("error").asText()).startsWith("bad-eval/result.json: malformed JSON");
    }

    @Test
    void evalRunLinksItsReportServedWithoutScript() throws Exception {
        JsonNode run = detail(RunsFixture.EVAL_A);
        JsonNode result = run.path("eval").path("results").get(0);
        assertThat(result.path("accuracy").asDouble()).isEqualTo(0.6);
        assertThat(names(result.path("per_class"), "label")).containsExactlyElementsOf(RunsFixture.LABELS);
        HttpResponse<String> report = get(run.path("report").asText(), KEY);
        assertThat(report.statusCode()).isEqualTo(200);
        assertThat(report.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        String csp = report.headers().firstValue("Content-Security-Policy").orElse("");
        assertThat(csp).isEqualTo(RunsApi.REPORT_CSP).contains("sandbox").doesNotContain("script-src");
        assertThat(report.body()).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContain(RunsFixture.XSS);
        assertThat(get(run.path("report").asText(), null).statusCode()).as("the report needs the key").isEqualTo(401);
        assertThat(get("/api/smelt/runs", null).statusCode()).isEqualTo(401);
    }

    @Test
    void comparesTwoEvalResultsWithDeltasAndPerClass() throws Exception {
        JsonNode c = json(get("/api/smelt/compare?a=" + id(RunsFixture.EVAL_A) + "&b=" + id(RunsFixture.EVAL_B), KEY), 200);
        assertThat(c.path("a").path("path").asText()).isEqualTo(RunsFixture.EVAL_A);
        assertThat(c.path("b").path("target").asText()).isEqualTo("model " + RunsFixture.XSS);
        JsonNode acc = c.path("metrics").get(0);
        assertThat(acc.path("name").asText()).isEqualTo("accuracy");
        assertThat(acc.path("a").asDouble()).isEqualTo(0.6);
        assertThat(acc.path("b").asDouble()).isEqualTo(0.8);
        assertThat(acc.path("delta").asDouble()).isCloseTo(0.2, within(1e-12));
        assertThat(acc.path("better").asText()).isEqualTo("b");
        JsonNode latency = java.util.stream.StreamSupport.stream(c.path("metrics").spliterator(), false)
                .filter(m -> m.path("name").asText().equals("latency_p50_ms")).findFirst().orElseThrow();
        assertThat(latency.path("higher_is_better").asBoolean(true)).isFalse();
        assertThat(latency.path("better").asText()).isEqualTo("same"); // both runs answered in the same times
        assertThat(names(c.path("per_class"), "label")).containsExactlyElementsOf(RunsFixture.LABELS);
        JsonNode first = c.path("per_class").get(0);
        assertThat(first.path("delta_f1").asDouble()).isCloseTo(first.path("b").path("f1").asDouble() - first.path("a").path("f1").asDouble(),
                within(1e-12));
        assertThat(c.path("notes")).isEmpty();
        JsonNode wrongKind = json(get("/api/smelt/compare?a=" + id(RunsFixture.FINETUNE) + "&b=" + id(RunsFixture.EVAL_B), KEY), 400);
        assertThat(wrongKind.path("error").asText()).isEqualTo("run ft-tiny is a finetune run, not an eval result (result.json)");
        JsonNode noTarget = json(get("/api/smelt/compare?a=" + id(RunsFixture.EVAL_A) + "&b=" + id(RunsFixture.EVAL_B) + "&b_target=nope", KEY), 400);
        assertThat(noTarget.path("error").asText()).contains("has no target 'nope'");
        assertThat(json(get("/api/smelt/compare?a=" + id(RunsFixture.EVAL_A), KEY), 400).path("error").asText()).contains("?a=RUN_ID&b=RUN_ID");
    }

    @Test
    void nothingOutsideTheFolderIsServed() throws Exception {
        // a symbolic link in a run's folder to a file outside: neither listed nor served
        JsonNode run = detail(RunsFixture.EVAL_A);
        assertThat(names(run.path("files"), "name")).contains("result.json", "report.html").doesNotContain("secret.txt");
        HttpResponse<String> link = get("/api/smelt/runs/" + id(RunsFixture.EVAL_A) + "/files/secret.txt", KEY);
        assertThat(link.statusCode()).isEqualTo(404);
        assertThat(link.body()).doesNotContain(SECRET);
        // ids that climb out of the folder, or into the folder link that leads out
        for (String rel : List.of("..", "../outside", "evals/../../outside", "linked-out", "/etc", "evals//base", "./evals/base")) {
            HttpResponse<String> r = get("/api/smelt/runs/" + RunsDirectory.encode(rel), KEY);
            assertThat(r.statusCode()).as(rel).isEqualTo(404);
            assertThat(r.body()).doesNotContain(SECRET);
        }
        assertThat(get("/api/smelt/runs/not*base64", KEY).statusCode()).isEqualTo(404);
        // file names that are paths, raw on the wire (no client-side normalization)
        String base = "/api/smelt/runs/" + id(RunsFixture.EVAL_A) + "/files/";
        for (String name : List.of("..%2F..%2Foutside%2Fsecret.txt", "%2E%2E", ".hidden", "..", "%2e%2e%2f%2e%2e%2fsecret.txt")) {
            RawHttp.Response r = RawHttp.send(port, "GET", base + name, Map.of("Authorization", "Bearer " + KEY), new byte[0]);
            assertThat(r.status()).as(name).isIn(400, 404);
            assertThat(r.body()).doesNotContain(SECRET);
        }
        RawHttp.Response climb = RawHttp.send(port, "GET", base + "../../../outside/secret.txt", Map.of("Authorization", "Bearer " + KEY), new byte[0]);
        assertThat(climb.status()).isIn(400, 404);
        assertThat(climb.body()).doesNotContain(SECRET);
    }
}
