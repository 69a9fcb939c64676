package dev.smelt.server.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.eval.EvalRecord;
import dev.smelt.eval.EvalReport;
import dev.smelt.eval.HtmlReport;
import dev.smelt.eval.Metrics;
import dev.smelt.testkit.SharedData;
import dev.smelt.train.FinetuneJob;
import dev.smelt.train.TrainConfig;
import dev.smelt.train.Trainer;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.optim.LrSchedule;
import dev.smelt.train.track.MlflowRun;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@code --runs} folder written by smelt's own writers: a real 3-step LoRA finetune of the tiny llama reference model
 * ({@link FinetuneJob}: metrics.csv, adapter files, checkpoint, mlruns/), an MLflow run ({@link MlflowRun}), two eval
 * results ({@link EvalReport}, {@link HtmlReport}: result.json and report.html), and two runs with corrupt files. Names and
 * labels carry markup, so the pages' escaping is tested on every path. Deterministic (fixed seeds and clocks).
 */
final class RunsFixture {
    /** Text that would run script if it became HTML. */
    static final String XSS = "<img src=x onerror=alert(1)>";
    static final String FINETUNE = "ft-tiny";
    static final String CLASSIFIER = "intent-head";
    static final String EVAL_A = "evals/base";
    static final String EVAL_B = "evals/tuned";
    static final String MLFLOW_NAME = "mlflow run " + XSS;
    static final List<String> LABELS = List.of("billing", "refund", XSS);
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC);

    private RunsFixture() {
    }

    static Path write(Path root) throws Exception {
        finetune(root.resolve(FINETUNE));
        mlflow(root.resolve("tracking/mlruns"));
        classifier(root.resolve(CLASSIFIER));
        eval(root.resolve(EVAL_A), 6);
        eval(root.resolve(EVAL_B), 8);
        Files.createDirectories(root.resolve("broken"));
        Files.writeString(root.resolve("broken/metrics.csv"), "step,loss,lr\n1,2.5,0.001\n2,oops,0.001\n");
        Files.createDirectories(root.resolve("bad-eval"));
        Files.writeString(root.resolve("bad-eval/result.json"), "{\"task\": \"t\", \"results\": [");
        return root;
    }

    /** A real LoRA run of 3 steps on the tiny llama model. */
    static void finetune(Path out) throws Exception {
        Path data = Files.createDirectories(out.getParent()).resolve("ft-data.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            lines.add("{\"prompt\": \"question " + i + "?\", \"completion\": \" answer " + (i % 3) + "\"}");
        }
        Files.write(data, lines);
        TrainConfig cfg = new TrainConfig(4, 8f, false, 0f, LoraModel.ALL_MODULES, 1e-3f, 0.01f, 1, LrSchedule.Kind.LINEAR, 1f, 3, 128, 1,
                false, 9);
        FinetuneJob.run(new FinetuneJob.Options(SharedData.model("llama.gguf"), data, null, 0, out, cfg, 1, 0, 0, false),
                new FinetuneJob.Listener() {
                    @Override
                    public void onStart(long firstStep, long totalSteps, int trainExamples, int valExamples) {
                    }

                    @Override
                    public void onStep(Trainer.StepResult r, double evalLoss) {
                    }
                }, new AtomicBoolean(), System::nanoTime, CLOCK, new Random(1));
    }

    /** A classify-train head ({@link dev.smelt.train.classify.LogisticTrainer}) on two separable clusters of 4-d "embeddings". */
    static void classifier(Path out) throws Exception {
        Random r = new Random(3);
        float[][] x = new float[60][4];
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            int c = i % 2;
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) ((j == c ? 2 : 0) + 0.3 * r.nextGaussian());
            }
            labels.add(c == 0 ? "billing" : "refund");
        }
        var fitted = new dev.smelt.train.classify.LogisticTrainer(new dev.smelt.train.classify.LogisticTrainer.Options(0.2, 30, 5, 16, 0.05, 1e-4,
                7, dev.smelt.model.classify.Abstention.none()), e -> { }).fit("test-encoder", x, labels);
        fitted.head().metrics().put("method", "head");
        fitted.head().save(out);
    }

    /** An MLflow run with loss and learning-rate curves, params, and a name carrying markup. */
    static void mlflow(Path mlruns) throws Exception {
        try (MlflowRun run = MlflowRun.start(mlruns, MLFLOW_NAME, "tester", CLOCK, new Random(2))) {
            run.logParams(Map.of("learning_rate", 0.0002, "note", XSS));
            for (int step = 1; step <= 10; step++) {
                run.logMetric("loss", 3.0 / step, step);
                run.logMetric("learning_rate", 2e-4 * (1 - step / 20.0), step);
                if (step % 5 == 0) {
                    run.logMetric("eval/accuracy", 0.5 + step / 40.0, step); // stored as metrics/eval/accuracy
                }
            }
            run.finish(MlflowRun.Status.FINISHED);
        }
    }

    /** An eval result of 10 examples of which {@code right} are correct, with result.json and report.html as smelt eval writes them. */
    static void eval(Path out, int right) throws Exception {
        List<EvalRecord> rs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String gold = LABELS.get(i % LABELS.size());
            String predicted = i < right ? gold : LABELS.get((i + 1) % LABELS.size());
            rs.add(new EvalRecord("ex" + i, "input " + i + " " + XSS, gold, predicted, predicted, gold.equals(predicted), gold.equals(predicted) ? 1 : 0,
                    true, "model " + XSS, 10 + i, 20, 2, BigDecimal.ZERO, Double.NaN, null));
        }
        EvalReport.Evaluated e = new EvalReport.Evaluated("model " + XSS, "intents", "label", Metrics.of(rs, LABELS));
        ObjectNode result = Canonical.JSON.createObjectNode().put("task", "intents").put("metric", "label").put("n", rs.size());
        result.putArray("results").add(EvalReport.json(e, true));
        Files.createDirectories(out);
        Files.writeString(out.resolve("result.json"), Canonical.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
        Files.writeString(out.resolve("report.html"), HtmlReport.render("smelt eval: intents", List.of(e), Map.of(e.target(), rs), List.of(), null));
        Files.writeString(out.resolve("predictions-model.jsonl"), EvalReport.predictions(rs));
    }
}
