package dev.smelt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.distill.DistillOutput;
import dev.smelt.task.TaskSpec;
import dev.smelt.eval.EvalRecord;
import dev.smelt.eval.EvalReport;
import dev.smelt.eval.EvalRunner;
import dev.smelt.eval.HtmlReport;
import dev.smelt.eval.Metrics;
import dev.smelt.eval.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code smelt eval}: run a task's labelled examples against targets; metrics, JSON result, HTML report. */
@Command(name = "eval", description = "Evaluate targets (GGUF model, OpenAI-compatible URL, classifier:DIR, replay:FILE, router.yaml) on a task.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--task", required = true, description = "Task spec (YAML/JSON): prompt, labels or schema, metric.")
    Path task;

    @Option(names = "--data", required = true, description = "Labelled examples (.jsonl/.csv with the task's input and label fields).")
    Path data;

    @Option(names = "--target", required = true, description = "[NAME=]MODEL.gguf | URL | classifier:DIR (from classify-train) | replay:FILE | ROUTER.yaml (repeatable).")
    List<String> targets;

    @Option(names = "--out", description = "Folder for result.json, report.html and predictions-TARGET.jsonl.")
    Path out;

    @Option(names = "--limit", description = "Only the first N examples.")
    Integer limit;

    @Option(names = "--judge", description = "Grade every answer 1-10 with this OpenAI-compatible endpoint (LLM as judge).")
    String judgeUrl;

    @Option(names = "--judge-model", description = "Model name for --judge.")
    String judgeModel;

    @Option(names = "--json", description = "Print only the JSON result.")
    boolean json;

    @Mixin
    TeacherOptions teacher;

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() throws Exception {
        TaskSpec spec = TaskSpec.load(task);
        List<DataFile.Row> rows = DataFile.read(data, spec.inputField(), spec.labelField(), true);
        if (limit != null) {
            if (limit < 1) {
                throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
            }
            rows = rows.subList(0, Math.min(limit, rows.size()));
        }
        if (out != null) {
            Files.createDirectories(out);
        }
        ObjectNode result = result(spec, rows.size());
        var arr = result.withArray("results");
        List<EvalReport.Evaluated> evaluated = new ArrayList<>();
        java.util.Map<String, List<EvalRecord>> records = new java.util.LinkedHashMap<>();
        if (judgeUrl != null && judgeModel == null) {
            throw new IllegalArgumentException("--judge needs --judge-model");
        }
        try (dev.smelt.client.TeacherClient judgeClient = judgeUrl == null ? null : new dev.smelt.client.TeacherClient(
                dev.smelt.client.TeacherConfig.of(judgeUrl, judgeModel).withApiKeyEnv(teacher.apiKeyEnv)
                        .withCache(out == null ? null : out.resolve("cache-judge.jsonl")), Playbook.http(), dev.smelt.client.TimeSource.SYSTEM, System::getenv)) {
            evalAll(spec, rows, arr, evaluated, records, judgeClient == null ? null : new dev.smelt.eval.Judge(judgeClient));
            if (judgeClient != null) {
                result.put("judge_calls", judgeClient.meter().snapshot().paidCalls() + judgeClient.meter().snapshot().cachedCalls());
            }
        }
        finish(spec, result, evaluated, records, out);
        return 0;
    }

    /** Writes result.json and report.html into {@code out} (when given) and prints the result line; shared with {@code smelt spark eval}. */
    static void finish(TaskSpec spec, ObjectNode result, List<EvalReport.Evaluated> evaluated,
                       java.util.Map<String, List<EvalRecord>> records, Path out) throws java.io.IOException {
        if (out != null) {
            DistillOutput.atomicWrite(out.resolve("result.json"), Canonical.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
            DistillOutput.atomicWrite(out.resolve("report.html"), HtmlReport.render("smelt eval: " + spec.name(), evaluated, records, List.of(), null));
            for (var r : result.withArray("results")) {
                ((ObjectNode) r).remove("confusion"); // in result.json; keep stdout one short line
            }
        }
        System.out.println(result);
    }

    /** The result object before any target's results: task, metric, n. */
    static ObjectNode result(TaskSpec spec, int n) {
        ObjectNode result = Canonical.JSON.createObjectNode().put("task", spec.name()).put("metric", spec.metric()).put("n", n);
        result.putArray("results");
        return result;
    }

    private void evalAll(TaskSpec spec, List<DataFile.Row> rows, com.fasterxml.jackson.databind.node.ArrayNode arr,
                         List<EvalReport.Evaluated> evaluated, java.util.Map<String, List<EvalRecord>> records,
                         dev.smelt.eval.Judge judge) throws Exception {
        for (String t : targets) {
            try (Target target = Playbook.target(t, spec, teacher, model, out)) {
                List<EvalRecord> rs = EvalRunner.run(target, spec, rows, teacher.concurrency, System.err::println);
                if (judge != null) {
                    rs = judge.grade(spec, rs);
                }
                report(spec, target.name(), rs, arr, evaluated, records, out, json);
            }
        }
    }

    /**
     * One target's records: its metrics (accuracy, macro-F1, confusion, cost, latency percentiles) into {@code arr} and
     * {@code evaluated}, its predictions file, and the summary line; shared with {@code smelt spark eval}.
     */
    static void report(TaskSpec spec, String name, List<EvalRecord> rs, com.fasterxml.jackson.databind.node.ArrayNode arr,
                       List<EvalReport.Evaluated> evaluated, java.util.Map<String, List<EvalRecord>> records, Path out,
                       boolean json) throws java.io.IOException {
        EvalReport.Evaluated e = new EvalReport.Evaluated(name, spec.name(), spec.metric(), Metrics.of(rs, spec.labels()));
        evaluated.add(e);
        records.put(name, rs);
        arr.add(EvalReport.json(e, out != null));
        if (out != null) {
            DistillOutput.atomicWrite(out.resolve("predictions-" + name.replaceAll("[^A-Za-z0-9._-]", "_") + ".jsonl"),
                    EvalReport.predictions(rs));
        }
        if (!json) {
            Metrics m = e.metrics();
            System.err.printf(java.util.Locale.ROOT, "%s: accuracy %.4f over %d (valid %.3f, errors %d), p50 %.1f ms, p95 %.1f ms, cost %s USD%n",
                    name, m.accuracy(), m.n(), m.validity(), m.errors(), m.latencyP50Ms(), m.latencyP95Ms(),
                    m.costUsd().stripTrailingZeros().toPlainString());
        }
    }
}
