package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code smelt spark classify|embed --master local[2]} against {@code smelt classify|embed} on the same texts, row for
 * row; bad inputs are one line and exit 1; and the plain CLI does not load Spark. (The multi-JVM cluster checks are
 * in the spark module's LocalClusterTest.)
 */
class SparkCommandTest {
    /** Re-batched rows may differ in the last float bits only. */
    static final double TOLERANCE = 1e-6;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sparkClassifyAndEmbedEqualTheSingleMachineCommandsRowForRow(@TempDir Path dir) throws Exception {
        Path model = trainTinyClassifier(dir);
        List<String> texts = new ArrayList<>();
        StringBuilder csv = new StringBuilder("ticket,body\n");
        StringBuilder jsonl = new StringBuilder();
        String[] words = {"card", "refund", "PIN", "money, back", "arrived", "\"blocked\""};
        for (int i = 0; i < 45; i++) {
            String t = "ticket " + i + ": my " + words[i % words.length] + " " + words[(i * 5 + 1) % words.length];
            texts.add(t);
            csv.append(i).append(",\"").append(t.replace("\"", "\"\"")).append("\"\n");
            jsonl.append(JSON.createObjectNode().put("text", t)).append('\n');
        }
        Path in = Files.writeString(dir.resolve("in.csv"), csv);
        Path out = dir.resolve("out.jsonl");
        EmbedCommandTest.Result s = EmbedCommandTest.run("", "spark", "classify", "--model", model.toString(), "--input", in.toString(),
                "--text-column", "body", "--output", out.toString(), "--master", "local[2]");
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.err()).contains("45 rows").doesNotContain("\tat ");
        EmbedCommandTest.Result single = EmbedCommandTest.run(jsonl.toString(), "classify", "--model", model.toString(), "--threads", "2");
        assertThat(single.code()).as(single.err()).isZero();
        List<String> got = Files.readAllLines(out);
        String[] want = single.out().strip().split("\n");
        assertThat(got).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode g = JSON.readTree(got.get(i));
            JsonNode w = JSON.readTree(want[i]);
            assertThat(g.path("ticket").asText()).isEqualTo(String.valueOf(i));
            assertThat(g.path("body").asText()).isEqualTo(texts.get(i));
            assertThat(g.path("label").asText()).as("row %d", i).isEqualTo(w.path("label").asText());
            assertThat(Math.abs(g.path("probability").asDouble() - w.path("probability").asDouble())).as("row %d: %s vs %s", i, g, w)
                    .isLessThanOrEqualTo(TOLERANCE);
        }

        Path vec = dir.resolve("vec.jsonl");
        EmbedCommandTest.Result e = EmbedCommandTest.run("", "spark", "embed", "--input", in.toString(), "--text-column", "body",
                "--output", vec.toString(), "--master", "local[2]");
        assertThat(e.code()).as(e.err()).isZero();
        EmbedCommandTest.Result single2 = EmbedCommandTest.run(jsonl.toString(), "embed", "--threads", "2");
        List<String> gotV = Files.readAllLines(vec);
        String[] wantV = single2.out().strip().split("\n");
        assertThat(gotV).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode g = JSON.readTree(gotV.get(i)).get("embedding");
            JsonNode w = JSON.readTree(wantV[i]).get("embedding");
            assertThat(g.size()).isEqualTo(w.size());
            for (int j = 0; j < w.size(); j++) {
                assertThat(Math.abs(g.get(j).asDouble() - w.get(j).asDouble())).as("row %d dim %d: %s vs %s", i, j, g.get(j), w.get(j))
                        .isLessThanOrEqualTo(TOLERANCE);
            }
        }

        // bad inputs: one line naming what is wrong, exit 1, no stack trace, no output written
        Path none = dir.resolve("none.jsonl");
        Path holes = dir.resolve("holes.jsonl");
        Files.writeString(holes, "{\"body\":\"hello\"}\n{\"ticket\":\"x\"}\n");
        String[][] bad = {
            {"--input", in.toString(), "--text-column", "text", "--output", none.toString()}, // column missing
            {"--input", dir.resolve("missing.csv").toString(), "--output", none.toString()},
            {"--input", in.toString(), "--text-column", "body", "--output", none.toString(), "--master", "lokal[2]"},
            {"--input", in.toString(), "--text-column", "body", "--output", out.toString()}, // exists
            {"--input", holes.toString(), "--text-column", "body", "--output", none.toString()}, // a row without text
        };
        String[] says = {"has no column 'text' (columns: ticket, body)", "missing.csv: no such file", "is not a Spark master URL",
            "already exists", "1 row has no value in column 'body'"};
        for (int i = 0; i < bad.length; i++) {
            List<String> args = new ArrayList<>(List.of("spark", "classify", "--model", model.toString()));
            args.addAll(List.of(bad[i]));
            EmbedCommandTest.Result r = EmbedCommandTest.run("", args.toArray(String[]::new));
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).contains(says[i]).doesNotContain("\tat ");
            assertThat(none).doesNotExist();
        }
    }

    @Test
    @Tag("slow") // 80 s on the loaded 2-core box; the spark module's LocalClusterTest checks generate by default
    void sparkGenerateAtTemperatureZeroEqualsSmeltRunRowForRow(@TempDir Path dir) throws Exception {
        Path model = dev.smelt.testkit.SharedData.model("llama.gguf");
        String[] prompts = {"Once upon a time", "The cat", "In the beginning there was", "Hello, world", "A long time ago, far away"};
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < prompts.length; i++) {
            jsonl.append(JSON.createObjectNode().put("id", i).put("prompt", prompts[i])).append('\n');
        }
        Path in = Files.writeString(dir.resolve("prompts.jsonl"), jsonl);
        Path out = dir.resolve("out.jsonl");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "spark", "generate", model.toString(), "--input", in.toString(),
                "--text-column", "prompt", "--output", out.toString(), "--master", "local[2]", "--temperature", "0", "-n", "12", "--slots", "3");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> got = Files.readAllLines(out);
        assertThat(got).hasSize(prompts.length);
        for (int i = 0; i < prompts.length; i++) {
            EmbedCommandTest.Result run = EmbedCommandTest.run("", "run", model.toString(), "-p", prompts[i], "--temperature", "0", "-n", "12");
            assertThat(run.code()).as(run.err()).isZero();
            JsonNode g = JSON.readTree(got.get(i));
            assertThat(g.path("id").asInt()).isEqualTo(i);
            assertThat(g.path("completion").asText()).as("row %d", i).isEqualTo(run.out().substring(0, run.out().length() - 1));
            assertThat(g.path("completion_tokens").asInt()).isBetween(1, 12);
        }
    }

    @Test
    void sparkEvalGivesSmeltEvalsMetricsAndReportFromDistributedPredictions(@TempDir Path dir) throws Exception {
        Path model = trainTinyClassifier(dir);
        Path task = Files.writeString(dir.resolve("task.yaml"), "name: tickets\ninstructions: Classify.\nlabels: [card, refund, pin]\n");
        StringBuilder csv = new StringBuilder("text,label\n");
        String[][] rows = {{"my card is late", "card"}, {"refund me now", "refund"}, {"new PIN please", "pin"}, {"card never came", "card"},
            {"money back for the purchase", "refund"}, {"PIN blocked again", "pin"}, {"where is the card", "card"}, {"refund it", "pin"},
            {"I forgot the pin code", "pin"}, {"return it and refund", "refund"}, {"card, card, card", "refund"}};
        for (String[] r : rows) {
            csv.append('"').append(r[0]).append("\",").append(r[1]).append('\n');
        }
        Path data = Files.writeString(dir.resolve("test.csv"), csv);
        Path sparkOut = dir.resolve("spark-eval");
        Path localOut = dir.resolve("eval");
        String target = "clf=classifier:" + model;
        EmbedCommandTest.Result s = EmbedCommandTest.run("", "spark", "eval", "--task", task.toString(), "--input", data.toString(),
                "--target", target, "--output", sparkOut.toString(), "--master", "local[2]", "--threads", "1");
        assertThat(s.code()).as(s.err()).isZero();
        EmbedCommandTest.Result l = EmbedCommandTest.run("", "eval", "--task", task.toString(), "--data", data.toString(),
                "--target", target, "--out", localOut.toString(), "--threads", "1");
        assertThat(l.code()).as(l.err()).isZero();
        JsonNode got = JSON.readTree(sparkOut.resolve("result.json").toFile()).path("results").get(0);
        JsonNode want = JSON.readTree(localOut.resolve("result.json").toFile()).path("results").get(0);
        assertThat(got.path("n").asInt()).isEqualTo(rows.length);
        for (String field : List.of("target", "n", "accuracy", "macro_f1", "errors", "validity", "confusion", "cost_usd", "input_tokens")) {
            assertThat(got.path(field)).as(field).isEqualTo(want.path(field));
        }
        assertThat(got.has("latency_p50_ms") && got.has("latency_p95_ms")).isTrue();
        assertThat(Files.readString(sparkOut.resolve("report.html"))).contains("tickets").contains("clf");
        List<String> sp = Files.readAllLines(sparkOut.resolve("predictions-clf.jsonl"));
        List<String> lp = Files.readAllLines(localOut.resolve("predictions-clf.jsonl"));
        assertThat(sp).hasSameSizeAs(lp);
        for (int i = 0; i < sp.size(); i++) { // same rows in the same order, same answers (latency aside)
            JsonNode a = JSON.readTree(sp.get(i));
            JsonNode b = JSON.readTree(lp.get(i));
            for (String f : List.of("id", "input", "expected", "predicted", "correct")) {
                assertThat(a.path(f)).as("row %d %s", i, f).isEqualTo(b.path(f));
            }
        }
    }

    @Test
    void sparkDistillWritesSmeltDistillsOutputsAndResumesFromItsCache(@TempDir Path dir) throws Exception {
        Path task = Files.writeString(dir.resolve("task.yaml"), "name: t\ninstructions: Classify.\nlabels: [a, b]\n");
        StringBuilder labelled = new StringBuilder();
        StringBuilder inputs = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            String text = i == 7 ? "" : i == 12 ? "input number 3 about apples" : "input number " + i + " about " + (i % 2 == 0 ? "apples" : "pears");
            labelled.append(JSON.createObjectNode().put("text", text).put("label", i % 2 == 0 ? "a" : "b")).append('\n');
            inputs.append(JSON.createObjectNode().put("text", text)).append('\n');
        }
        Path replay = Files.writeString(dir.resolve("labelled.jsonl"), labelled);
        Path in = Files.writeString(dir.resolve("inputs.jsonl"), inputs);
        Path sparkOut = dir.resolve("spark-distill");
        String[] args = {"spark", "distill", "--task", task.toString(), "--input", in.toString(), "--replay-teacher", replay.toString(),
            "--output", sparkOut.toString(), "--master", "local[2]", "--price-in", "1", "--price-out", "1", "--rpm", "100000",
            "--chunk", "8"}; // 4 chunks: 4 teacher clients, 4 cache files
        EmbedCommandTest.Result s = EmbedCommandTest.run("", args);
        assertThat(s.code()).as(s.err()).isZero();
        EmbedCommandTest.Result l = EmbedCommandTest.run("", "distill", "--task", task.toString(), "--inputs", in.toString(),
                "--replay-teacher", replay.toString(), "--out", dir.resolve("distill").toString(), "--price-in", "1", "--price-out", "1");
        assertThat(l.code()).as(l.err()).isZero();
        JsonNode got = JSON.readTree(s.out());
        JsonNode want = JSON.readTree(l.out());
        for (String f : List.of("inputs", "kept", "dropped", "drops_by_reason", "labels")) {
            assertThat(got.path(f)).as(f + " in " + got).isEqualTo(want.path(f));
        }
        for (String f : List.of("calls_paid", "input_tokens_paid", "output_tokens_paid", "cost_usd")) {
            assertThat(got.path("teacher").path(f)).as(f + " in " + got).isEqualTo(want.path("teacher").path(f));
        }
        assertThat(got.path("drops_by_reason").has("empty_input")).as(got.toString()).isTrue();
        assertThat(got.path("kept").asInt()).isGreaterThan(20);
        assertThat(Files.readAllLines(sparkOut.resolve("classify.jsonl"))).isEqualTo(Files.readAllLines(dir.resolve("distill/classify.jsonl")));
        assertThat(sparkOut.resolve("DATA_CARD.md")).exists();
        try (var caches = Files.list(sparkOut.resolve("cache"))) {
            assertThat(caches.count()).isEqualTo(4);
        }
        EmbedCommandTest.Result again = EmbedCommandTest.run("", args);
        assertThat(again.code()).as(again.err()).isZero();
        JsonNode resumed = JSON.readTree(again.out()).path("teacher");
        assertThat(resumed.path("calls_paid").asInt()).as(again.out()).isZero();
        assertThat(resumed.path("calls_cached").asInt()).isEqualTo(got.path("teacher").path("calls_paid").asInt());
    }

    @Test
    void thePlainCliAndSparkHelpLoadNoSparkClass() throws Exception {
        for (String[] args : List.of(new String[] {"--version"}, new String[] {"spark", "classify", "--help"})) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xlog:class+load=info", "-cp", System.getProperty("java.class.path"), "dev.smelt.cli.Main"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).as(String.join(" ", args)).contains("dev.smelt.cli.Main").doesNotContain("org.apache.spark")
                    .doesNotContain("dev.smelt.spark").doesNotContain("scala.");
        }
        assertThat(System.getProperty("java.class.path")).as("the test classpath has Spark, so the check above means something")
                .contains("spark-core" + "_2.13").contains(File.pathSeparator);
    }

    static Path trainTinyClassifier(Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("text,label\n");
        String[][] examples = {
            {"card", "my card has not arrived", "when will my new card come", "still waiting for the card I ordered", "where is my card"},
            {"refund", "I want my money back", "please refund this purchase", "how do I get a refund", "refund the charge"},
            {"pin", "how do I change my PIN", "I forgot my PIN", "reset my pin code", "my PIN is blocked"}};
        for (String[] ex : examples) {
            for (int i = 1; i < ex.length; i++) {
                csv.append('"').append(ex[i]).append("\",").append(ex[0]).append('\n');
            }
        }
        Path data = Files.writeString(dir.resolve("train.csv"), csv);
        Path out = dir.resolve("clf");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--out", out.toString(),
                "--method", "head", "--val-fraction", "0.34", "--lr", "0.05", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        return out;
    }
}
