package dev.smelt.train;

import dev.smelt.model.AtomicFiles;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.LoraFiles;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.data.ChatFormat;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.data.TrainingData;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.track.MetricsCsv;
import dev.smelt.train.track.MlflowRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One {@code smelt finetune} run into an output directory: {@code metrics.csv} (step, loss, lr,
 * grad_norm, tokens_per_s, eval_loss; one row per optimizer step, synced as it goes: {@link MetricsCsv}),
 * {@code checkpoint.safetensors} (exact-resume state, every {@code saveEvery} steps, at the end and
 * when stopped), and the adapter as PEFT ({@code adapter_config.json}, {@code adapter_model.safetensors})
 * and llama.cpp GGUF ({@code adapter.gguf}), and params + metrics in MLflow's file store under
 * {@code mlruns/} (the run id in {@code mlflow_run_id}, so a resumed run continues the same curves). Data: {@link TrainingData} (messages with the model's chat
 * template, prompt/completion, text; examples longer than a micro-batch are truncated).
 * A stop request (Ctrl-C) ends the run after the current step with all of these written.
 * Not thread-safe; {@code stop} may be set from any thread.
 */
public final class FinetuneJob {
    public static final String CHECKPOINT = "checkpoint.safetensors";
    public static final String METRICS = "metrics.csv";
    public static final String MLFLOW_ID = "mlflow_run_id";
    /** metrics.csv columns after {@code step}; eval_loss is empty on steps without an evaluation. */
    static final List<String> METRIC_COLUMNS = List.of("loss", "lr", "grad_norm", "tokens_per_s", "eval_loss");
    static final String BASE_SHA = "base_sha256";
    static final String DATA_SHA = "data_sha256";
    static final String VAL_SHA = "val_sha256";

    /**
     * @param val         validation JSONL, or null to hold out {@code valFraction} of the training file
     * @param evalEvery   evaluate the validation set every this many steps (and at the end); 0: only at the end
     */
    public record Options(Path model, Path data, Path val, double valFraction, Path out, TrainConfig cfg, int threads, int saveEvery,
                          int evalEvery, boolean resume) {
    }

    /** Sees each finished step (eval loss NaN when none was computed) and lifecycle messages. */
    public interface Listener {
        void onStart(long firstStep, long totalSteps, int trainExamples, int valExamples);

        void onStep(Trainer.StepResult r, double evalLoss);

        /** Something the user should know that does not stop the run (skipped or cut examples). */
        default void onWarning(String message) {
            System.err.println("smelt: warning: " + message);
        }
    }

    /** What the run ended with. */
    public record Outcome(long steps, boolean stopped, double lastLoss, double evalLoss) {
    }

    private FinetuneJob() {
    }

    /**
     * @param nanoClock step timing
     * @param wallClock MLflow timestamps
     * @param random    MLflow run id
     */
    public static Outcome run(Options o, Listener listener, AtomicBoolean stop, LongSupplier nanoClock, java.time.Clock wallClock,
                              java.util.Random random) throws IOException {
        Files.createDirectories(o.out());
        Path ckpt = o.out().resolve(CHECKPOINT);
        if (Files.exists(ckpt) && !o.resume()) {
            throw new IllegalArgumentException(o.out() + " already holds a checkpoint; pass --resume to continue it or choose another --out");
        }
        if (o.resume() && !Files.exists(ckpt)) {
            // a silent fresh start would throw away the steps the user meant to continue
            throw new IllegalArgumentException("--resume: no checkpoint to continue in " + o.out() + " (expected " + ckpt
                    + "); leave out --resume to start a new run");
        }
        Map<String, String> provenance = provenance(o);
        if (o.resume()) {
            checkProvenance(ckpt, provenance);
        }
        try (LoraModel model = LoraModel.open(o.model()); ThreadPool pool = new ThreadPool(o.threads())) {
            Tokenizer tok = Tokenizers.fromGguf(model.file());
            ChatFormat format = ChatFormat.forModel(model.file(), tok);
            boolean kd = o.cfg().kdAlpha() > 0;
            TrainingData.Split split = TrainingData.prepare(o.data(), o.val(), o.valFraction(), o.cfg().seed(), kd ? format.withTeacherLogprobs() : format,
                    new TrainingData.Options(o.cfg().batchTokens(), TrainingData.Overflow.TRUNCATE), listener::onWarning);
            List<TokenizedExample> train = split.train();
            if (kd && train.stream().noneMatch(e -> e.teacherIds() != null)) {
                throw new IllegalArgumentException("--kd-alpha " + o.cfg().kdAlpha() + " needs teacher logprobs, but no example of " + o.data()
                        + " carries any (an assistant message's or a prompt/completion line's \"logprobs\": {\"content\": [{\"token\", \"logprob\", \"top_logprobs\"}]})");
            }
            List<TokenizedExample> val = split.validation();
            boolean resuming = o.resume();
            Trainer t = (resuming ? Trainer.resume(model, train, o.cfg(), pool, nanoClock, ckpt)
                    : Trainer.start(model, train, o.cfg(), pool, nanoClock)).provenance(provenance);
            Path metrics = o.out().resolve(METRICS);
            MetricsCsv csv = resuming && Files.exists(metrics) ? MetricsCsv.resume(metrics, METRIC_COLUMNS, t.step())
                    : MetricsCsv.create(metrics, METRIC_COLUMNS);
            listener.onStart(t.step(), o.cfg().steps(), train.size(), val.size());
            MlflowRun mlflow = openMlflow(o, resuming, t.step(), wallClock, random);
            double lastLoss = Double.NaN;
            double evalLoss = Double.NaN;
            boolean stopped = false;
            MlflowRun.Status status = MlflowRun.Status.FAILED;
            try (mlflow) {
                while (!t.done()) {
                    if (stop.get()) {
                        stopped = true;
                        break;
                    }
                    Trainer.StepResult r = t.trainStep();
                    lastLoss = r.loss();
                    double ev = Double.NaN;
                    if (!val.isEmpty() && (t.done() || (o.evalEvery() > 0 && r.step() % o.evalEvery() == 0))) {
                        ev = t.evaluate(val);
                        evalLoss = ev;
                    }
                    Map<String, Number> row = new LinkedHashMap<>();
                    row.put("loss", r.loss());
                    row.put("lr", r.lr());
                    row.put("grad_norm", r.gradNorm());
                    row.put("tokens_per_s", r.tokensPerSecond());
                    if (!Double.isNaN(ev)) {
                        row.put("eval_loss", ev);
                    }
                    csv.log(r.step(), row);
                    mlflow.logMetric("loss", r.loss(), r.step());
                    mlflow.logMetric("learning_rate", r.lr(), r.step());
                    mlflow.logMetric("grad_norm", r.gradNorm(), r.step());
                    mlflow.logMetric("tokens_per_s", r.tokensPerSecond(), r.step());
                    if (!Double.isNaN(ev)) {
                        mlflow.logMetric("eval_loss", ev, r.step());
                    }
                    listener.onStep(r, ev);
                    if (o.saveEvery() > 0 && r.step() % o.saveEvery() == 0 && !t.done()) {
                        t.saveCheckpoint(ckpt);
                    }
                }
                t.saveCheckpoint(ckpt);
                LoraFiles.writeAll(t.adapter(), LoraBase.of(model.file()), o.cfg().dropout(), o.out());
                status = stopped ? MlflowRun.Status.KILLED : MlflowRun.Status.FINISHED;
            } finally {
                mlflow.finish(status);
            }
            return new Outcome(t.step(), stopped, lastLoss, evalLoss);
        }
    }

    private static MlflowRun openMlflow(Options o, boolean resuming, long step, java.time.Clock clock, java.util.Random random) throws IOException {
        Path mlruns = o.out().resolve("mlruns");
        Path idFile = o.out().resolve(MLFLOW_ID);
        if (resuming && Files.exists(idFile)) {
            return MlflowRun.resume(mlruns, Files.readString(idFile).strip(), step, clock);
        }
        MlflowRun run = MlflowRun.start(mlruns, o.out().toAbsolutePath().getFileName().toString(), System.getProperty("user.name", ""), clock, random);
        TrainConfig c = o.cfg();
        java.util.Map<String, Object> p = new java.util.LinkedHashMap<>();
        p.put("base_model", o.model().getFileName().toString());
        p.put("data", o.data().toString());
        p.put("lora_r", c.rank());
        p.put("lora_alpha", c.alpha());
        p.put("use_rslora", c.rsLora());
        p.put("lora_dropout", c.dropout());
        p.put("target_modules", String.join(",", c.modules()));
        p.put("learning_rate", c.lr());
        p.put("weight_decay", c.weightDecay());
        p.put("warmup_steps", c.warmupSteps());
        p.put("lr_scheduler_type", c.schedule().name().toLowerCase(Locale.ROOT));
        p.put("max_grad_norm", c.maxGradNorm());
        p.put("max_steps", c.steps());
        p.put("batch_tokens", c.batchTokens());
        p.put("gradient_accumulation_steps", c.gradAccum());
        p.put("gradient_checkpointing", c.checkpointing());
        p.put("seed", c.seed());
        if (c.kdAlpha() > 0) {
            p.put("kd_alpha", c.kdAlpha());
            p.put("kd_temperature", c.kdTemperature());
        }
        run.logParams(p);
        AtomicFiles.writeString(idFile, run.runId());
        return run;
    }

    /** SHA-256 of the base model and the data files, recorded in every checkpoint of the run. */
    static Map<String, String> provenance(Options o) throws IOException {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put(BASE_SHA, sha256(o.model()));
        p.put(DATA_SHA, sha256(o.data()));
        if (o.val() != null) {
            p.put(VAL_SHA, sha256(o.val()));
        }
        return p;
    }

    /**
     * Refuses to resume against other inputs: the same shapes and line count would load without complaint and
     * silently mix two trainings. Checkpoints written before digests were recorded are resumed as they were.
     */
    static void checkProvenance(Path ckpt, Map<String, String> now) throws IOException {
        Map<String, String> saved;
        try (dev.smelt.model.safetensors.SafetensorsFile f = dev.smelt.model.safetensors.SafetensorsFile.open(ckpt)) {
            saved = f.metadata();
        }
        String[][] what = {{BASE_SHA, "base model (--model)"}, {DATA_SHA, "training data (--data)"}, {VAL_SHA, "validation data (--val)"}};
        for (String[] w : what) {
            String was = saved.get(w[0]);
            if (was != null && !was.equals(now.get(w[0]))) {
                throw new IllegalArgumentException(ckpt + ": this checkpoint was trained on a different " + w[1] + " (SHA-256 "
                        + was + ", now " + now.getOrDefault(w[0], "none") + "); resume with the same files or start a new --out");
            }
        }
    }

    static String sha256(Path file) throws IOException {
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }
}
