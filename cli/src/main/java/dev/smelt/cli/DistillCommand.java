package dev.smelt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.task.DataFile;
import dev.smelt.distill.DistillOutput;
import dev.smelt.distill.Distiller;
import dev.smelt.task.ReplayTeacher;
import dev.smelt.task.TaskSpec;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TimeSource;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code smelt distill}: have a teacher label a task's inputs, gate the answers, write training data and a data card. */
@Command(name = "distill", description = "Label inputs with a teacher (OpenAI-compatible endpoint) into training data with a data card.")
final class DistillCommand implements Callable<Integer> {
    @Option(names = "--task", description = "Task spec (YAML or JSON).")
    Path task;

    @Option(names = "--inputs", description = "Unlabeled inputs (.jsonl or .csv with the task's input field).")
    Path inputs;

    @Option(names = "--self-instruct", description = "Instead of --task/--inputs: generate instructions from these seed tasks "
            + "(Self-Instruct JSONL) and have the teacher answer them.")
    Path seeds;

    @Option(names = "--generate", defaultValue = "100", description = "Instructions to generate with --self-instruct (default ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = "--max-tokens", defaultValue = "512", description = "Answer budget with --self-instruct (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--teacher", description = "Teacher base URL, e.g. https://api.openai.com/v1.")
    String teacher;

    @Option(names = "--replay-teacher", description = "Start the replay teacher STAND-IN on this labelled file (offline demo; "
            + "it answers by looking labels up, it is not a model) and use it as the teacher.")
    Path replay;

    @Option(names = "--out", required = true, description = "Output folder (train.jsonl, classify.jsonl, report.json, DATA_CARD.md, cache).")
    Path out;

    @Option(names = "--limit", description = "Use only the first N inputs.")
    Integer limit;

    @Mixin
    TeacherOptions teacherOptions;

    @Override
    public Integer call() throws Exception {
        if ((teacher == null) == (replay == null)) {
            throw new IllegalArgumentException("give exactly one of --teacher URL or --replay-teacher FILE");
        }
        if (seeds != null && replay != null) {
            throw new IllegalArgumentException("--self-instruct needs a real --teacher URL (the replay stand-in only knows labels)");
        }
        if (seeds != null) {
            return selfInstruct();
        }
        if (task == null || inputs == null) {
            throw new IllegalArgumentException("give --task FILE and --inputs FILE (or --self-instruct SEEDS)");
        }
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        }
        TaskSpec spec = TaskSpec.load(task);
        List<DataFile.Row> rows = DataFile.read(inputs, spec.inputField(), null, false);
        if (limit != null && rows.size() > limit) {
            rows = rows.subList(0, limit);
        }
        ReplayTeacher stand = replay != null ? new ReplayTeacher(DataFile.read(replay, spec.inputField(), spec.labelField(), true), "127.0.0.1", 0) : null;
        try {
            String url = stand != null ? stand.url() : teacher;
            if (stand != null) {
                System.err.println("smelt: using the replay teacher stand-in (labels looked up in " + replay + ") at " + url);
            }
            var cfg = teacherOptions.config(url, stand != null ? ReplayTeacher.MODEL : null, out.resolve("teacher-cache.jsonl"));
            HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(10)).build();
            try (TeacherClient client = new TeacherClient(cfg, http, TimeSource.SYSTEM, System::getenv)) {
                Distiller.Result r = Distiller.run(spec, rows, client, System.err::println);
                ObjectNode report = DistillOutput.write(out, spec, r, new DistillOutput.Source(inputs, task, url, cfg.model(), cfg.prices(), Instant.now()));
                System.out.println(report);
                System.err.printf("smelt: kept %d of %d inputs (%d dropped); teacher cost this run %s USD; wrote %s%n", r.kept().size(),
                        r.inputs(), r.dropped().size(), r.cost().costUsd().stripTrailingZeros().toPlainString(), out);
            }
        } finally {
            if (stand != null) {
                stand.close();
            }
        }
        return 0;
    }

    private Integer selfInstruct() throws Exception {
        var seedList = dev.smelt.distill.SelfInstruct.readSeeds(seeds);
        var cfg = teacherOptions.config(teacher, null, out.resolve("teacher-cache.jsonl"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(10)).build();
        try (TeacherClient client = new TeacherClient(cfg, http, TimeSource.SYSTEM, System::getenv)) {
            var r = dev.smelt.distill.SelfInstruct.run(seedList, generate, client, teacherOptions.seed, maxTokens, System.err::println);
            System.out.println(dev.smelt.distill.SelfInstruct.write(out, r, seeds, teacher, cfg.model()));
        }
        return 0;
    }
}
