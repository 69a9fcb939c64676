package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.smelt.client.Canonical;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * route-eval, eval and route-train end to end over real HTTP: the weak target is a local test server that
 * answers inputs "q0".."q7" right (logprob −0.05) when the index is even and wrong (logprob −2) when odd;
 * the strong target is the replay teacher over the same labels.
 */
class RouteEvalCommandTest {
    @TempDir
    Path dir;

    private HttpServer weak;

    @BeforeEach
    void startWeak() throws Exception {
        weak = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        weak.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        weak.createContext("/v1/chat/completions", ex -> {
            try (ex) {
                JsonNode req = Canonical.JSON.readTree(ex.getRequestBody().readAllBytes());
                JsonNode msgs = req.path("messages");
                String in = msgs.path(msgs.size() - 1).path("content").asText();
                int i = Integer.parseInt(in.substring(1));
                String right = i % 3 == 0 ? "a" : "b";
                boolean ok = i % 2 == 0;
                var o = Canonical.JSON.createObjectNode();
                var c = o.putArray("choices").addObject();
                c.putObject("message").put("content", ok ? right : (right.equals("a") ? "b" : "a"));
                c.putObject("logprobs").putArray("content").addObject().put("token", "x").put("logprob", ok ? -0.05 : -2.0);
                o.putObject("usage").put("prompt_tokens", 5).put("completion_tokens", 1);
                byte[] b = o.toString().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
        });
        weak.start();
    }

    @AfterEach
    void stop() {
        weak.stop(0);
    }

    private Path setUp(String policy) throws Exception {
        Files.writeString(dir.resolve("task.yaml"), "name: t\ninstructions: Classify.\nlabels: [a, b]\n");
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            data.append("{\"text\":\"q").append(i).append("\",\"label\":\"").append(i % 3 == 0 ? "a" : "b").append("\"}\n");
        }
        Files.writeString(dir.resolve("test.jsonl"), data);
        Path router = dir.resolve("router.yaml");
        Files.writeString(router, "task: task.yaml\ntargets:\n"
                + "  small: {type: openai, url: 'http://127.0.0.1:" + weak.getAddress().getPort() + "/v1', model: s}\n"
                + "  teacher: {type: replay, data: test.jsonl, price_in: 1.0, price_out: 2.0, cache: teacher-cache.jsonl}\n"
                + "policy:\n" + policy + "  weak: small\n  strong: teacher\nfallbacks: [teacher]\n");
        return router;
    }

    @Test
    void cascadeRouteEvalPrintsOneJsonObjectWithTheRoutingMetrics() throws Exception {
        Path router = setUp("  type: cascade\n  min_confidence: 0.5\n");
        String[] r = CliRun.run("route-eval", "--router", router.toString(), "--data", dir.resolve("test.jsonl").toString(), "--json",
                "--out", dir.resolve("out").toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].strip().lines()).hasSize(1);
        JsonNode o = Canonical.JSON.readTree(r[1]);
        assertThat(o.path("accuracy").asDouble()).isEqualTo(1.0);
        assertThat(o.path("teacher_share").asDouble()).isEqualTo(0.5);
        assertThat(o.path("weak_accuracy").asDouble()).isEqualTo(0.5);
        // two tied groups: wrong answers (score 1 − e^−2) first, then right ones: PGR 0 → 1 at share ½, flat after
        assertThat(o.path("apgr").asDouble()).isCloseTo(0.75, within(1e-12));
        assertThat(o.path("cpt50").asDouble()).isEqualTo(0.5);
        assertThat(o.path("cpt80").asDouble()).isEqualTo(0.5);
        assertThat(o.path("cost_saving").asDouble()).isCloseTo(0.5, within(1e-6));
        assertThat(Files.readString(dir.resolve("out/report.html"))).contains("Routing curve").contains("<svg")
                .contains("<g class=\"operating-point\">").contains("<h2>Errors: router</h2>");

        String[] cal = CliRun.run("route-eval", "--router", router.toString(), "--data", dir.resolve("test.jsonl").toString(), "--json",
                "--calibrate-share", "0.25");
        JsonNode c = Canonical.JSON.readTree(cal[1]);
        assertThat(c.path("teacher_share").asDouble()).isEqualTo(0.0); // the 4 tied escalations cannot be split to hit 25%
        assertThat(c.path("calibrated_on").asText()).isEqualTo("the test data");
    }

    @Test
    void calibratedShareIsABudgetAndItsSettingsAreChecked() throws Exception {
        Path router = setUp("  type: cascade\n  min_confidence: 0.5\n");
        String test = dir.resolve("test.jsonl").toString();
        JsonNode c = Canonical.JSON.readTree(CliRun.run("route-eval", "--router", router.toString(), "--data", test, "--json",
                "--calibrate-share", "0.5")[1]);
        assertThat(c.path("mode").asText()).isEqualTo("budget");
        assertThat(c.path("target_share").asDouble()).isEqualTo(0.5);
        assertThat(c.path("teacher_share").asDouble()).isLessThanOrEqualTo(0.5);
        assertThat(c.path("max_window_share").asDouble()).isLessThanOrEqualTo(0.5);
        assertThat(c.has("fixed_threshold_teacher_share")).isTrue();
        JsonNode q = Canonical.JSON.readTree(CliRun.run("route-eval", "--router", router.toString(), "--data", test, "--json",
                "--calibrate-share", "0.5", "--mode", "quality")[1]);
        assertThat(q.path("mode").asText()).isEqualTo("quality");
        assertThat(q.path("teacher_share").asDouble()).isEqualTo(q.path("fixed_threshold_teacher_share").asDouble());

        String[] bad = CliRun.run("route-eval", "--router", router.toString(), "--data", test, "--calibrate-share", "0.5", "--mode", "cheap");
        assertThat(bad[0]).isEqualTo("1");
        assertThat(bad[2]).contains("--mode must be budget or quality").doesNotContain("at dev.smelt");
        Files.writeString(router, Files.readString(router) + "budget_share: 2\n");
        bad = CliRun.run("route-eval", "--router", router.toString(), "--data", test);
        assertThat(bad[0]).isEqualTo("1");
        assertThat(bad[2]).contains("'budget_share' must be a number in [0, 1]").doesNotContain("at dev.smelt");
    }

    @Test
    void distanceConfidenceNeedsAClassifierTarget() throws Exception {
        Path router = setUp("  type: cascade\n  confidence: distance\n");
        String[] bad = CliRun.run("route-eval", "--router", router.toString(), "--data", dir.resolve("test.jsonl").toString());
        assertThat(bad[0]).isEqualTo("1");
        assertThat(bad[2]).contains("policy.confidence 'distance' needs a weak target of type classifier").doesNotContain("at dev.smelt");
        router = setUp("  type: cascade\n  confidence: vibes\n");
        bad = CliRun.run("route-eval", "--router", router.toString(), "--data", dir.resolve("test.jsonl").toString());
        assertThat(bad[2]).contains("policy.confidence must be probability, distance or combined");
    }

    @Test
    void evalThenRouteTrainThenALearnedRouter() throws Exception {
        Path router = setUp("  type: learned\n  model: router-model.json\n  threshold: 0.5\n");
        String weakUrl = "http://127.0.0.1:" + weak.getAddress().getPort() + "/v1";
        String[] e = CliRun.run("eval", "--task", dir.resolve("task.yaml").toString(), "--data", dir.resolve("test.jsonl").toString(),
                "--target", "small=" + weakUrl, "--target", "teacher=replay:" + dir.resolve("test.jsonl"),
                "--model", "s", "--out", dir.resolve("ev").toString(), "--json");
        assertThat(e[0]).as(e[2]).isEqualTo("0");
        JsonNode res = Canonical.JSON.readTree(e[1]);
        assertThat(res.path("results").path(0).path("accuracy").asDouble()).isEqualTo(0.5);
        assertThat(res.path("results").path(0).path("macro_f1").asDouble()).isCloseTo(0.5, within(1e-12));
        assertThat(res.path("results").path(1).path("accuracy").asDouble()).isEqualTo(1.0);
        assertThat(Files.readString(dir.resolve("ev/report.html"))).contains("Confusion matrix: small").contains("<h2>Per class: small</h2>")
                .contains("<h2>Errors: small</h2>");
        assertThat(Canonical.JSON.readTree(Files.readString(dir.resolve("ev/result.json"))).path("results").get(0).path("per_class").isArray()).isTrue();

        String[] t = CliRun.run("route-train", "--predictions", dir.resolve("ev/predictions-small.jsonl").toString(),
                "--out", dir.resolve("router-model.json").toString());
        assertThat(t[0]).as(t[2]).isEqualTo("0");
        assertThat(t[1]).contains("\"examples\":8").contains("\"weak_wrong\":4");
        String[] r = CliRun.run("route-eval", "--router", router.toString(), "--data", dir.resolve("test.jsonl").toString(), "--json");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        JsonNode o = Canonical.JSON.readTree(r[1]);
        assertThat(o.path("policy").asText()).isEqualTo("learned");
        // trained on these very examples: it separates the weak model's misses
        assertThat(o.path("accuracy").asDouble()).isEqualTo(1.0);
        assertThat(o.path("teacher_share").asDouble()).isEqualTo(0.5);
        assertThat(o.path("apgr").asDouble()).isGreaterThan(0.7);
        assertThat(o.path("decision_ms_p95").asDouble()).isLessThan(10_000);
    }

    @Test
    void badRouterFilesAreOneClearLine() throws Exception {
        Path router = setUp("  type: cascade\n");
        Files.writeString(router, Files.readString(router).replace("strong: teacher", "strong: nobody"));
        String[] r = CliRun.run("route-eval", "--router", router.toString(), "--data", dir.resolve("test.jsonl").toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2].strip()).startsWith("smelt: error: " + router + ": policy.strong must name one of the targets");
    }
}
