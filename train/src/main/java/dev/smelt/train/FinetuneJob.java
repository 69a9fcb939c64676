package dev.smelt.train;

import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.data.PromptCompletionJsonl;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.io.PeftAdapterWriter;
import dev.smelt.train.model.LoraModel;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One {@code smelt finetune} run into an output directory: {@code metrics.csv} (step, loss, lr,
 * grad_norm, tokens_per_s, eval_loss; one row per optimizer step, flushed as it goes),
 * {@code checkpoint.safetensors} (exact-resume state, every {@code saveEvery} steps, at the end and
 * when stopped), and the PEFT adapter ({@code adapter_config.json}, {@code adapter_model.safetensors}).
 * A stop request (Ctrl-C) ends the run after the current step with all of these written.
 * Not thread-safe; {@code stop} may be set from any thread.
 */
public final class FinetuneJob {
    public static final String CHECKPOINT = "checkpoint.safetensors";
    public static final String METRICS = "metrics.csv";
    static final String HEADER = "step,loss,lr,grad_norm,tokens_per_s,eval_loss";

    /** @param evalEvery evaluate the validation set every this many steps (and at the end); 0: only at the end */
    public record Options(Path model, Path data, Path val, Path out, TrainConfig cfg, int threads, int saveEvery, int evalEvery, boolean resume) {
    }

    /** Sees each finished step (eval loss NaN when none was computed) and lifecycle messages. */
    public interface Listener {
        void onStart(long firstStep, long totalSteps, int trainExamples, int valExamples);

        void onStep(Trainer.StepResult r, double evalLoss);
    }

    /** What the run ended with. */
    public record Outcome(long steps, boolean stopped, double lastLoss, double evalLoss) {
    }

    private FinetuneJob() {
    }

    public static Outcome run(Options o, Listener listener, AtomicBoolean stop, LongSupplier nanoClock) throws IOException {
        Files.createDirectories(o.out());
        Path ckpt = o.out().resolve(CHECKPOINT);
        if (Files.exists(ckpt) && !o.resume()) {
            throw new IllegalArgumentException(o.out() + " already holds a checkpoint; pass --resume to continue it or choose another --out");
        }
        try (LoraModel model = LoraModel.open(o.model()); ThreadPool pool = new ThreadPool(o.threads())) {
            Tokenizer tok = Tokenizers.fromGguf(model.file());
            List<TokenizedExample> train = PromptCompletionJsonl.load(o.data(), tok);
            List<TokenizedExample> val = o.val() == null ? List.of() : PromptCompletionJsonl.load(o.val(), tok);
            boolean resuming = o.resume() && Files.exists(ckpt);
            Trainer t = resuming ? Trainer.resume(model, train, o.cfg(), pool, nanoClock, ckpt)
                    : Trainer.start(model, train, o.cfg(), pool, nanoClock);
            Path metrics = o.out().resolve(METRICS);
            prepareMetrics(metrics, resuming ? t.step() : 0);
            listener.onStart(t.step(), o.cfg().steps(), train.size(), val.size());
            double lastLoss = Double.NaN;
            double evalLoss = Double.NaN;
            boolean stopped = false;
            try (BufferedWriter w = Files.newBufferedWriter(metrics, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
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
                    w.write(String.format(Locale.ROOT, "%d,%.6f,%.6g,%.6g,%.1f,%s%n", r.step(), r.loss(), r.lr(), r.gradNorm(),
                            r.tokensPerSecond(), Double.isNaN(ev) ? "" : String.format(Locale.ROOT, "%.6f", ev)));
                    w.flush();
                    listener.onStep(r, ev);
                    if (o.saveEvery() > 0 && r.step() % o.saveEvery() == 0 && !t.done()) {
                        t.saveCheckpoint(ckpt);
                    }
                }
            }
            t.saveCheckpoint(ckpt);
            PeftAdapterWriter.write(o.out(), t.adapter(), o.cfg().dropout(), o.model().getFileName().toString());
            return new Outcome(t.step(), stopped, lastLoss, evalLoss);
        }
    }

    /** Starts metrics.csv fresh, or on resume keeps only the rows up to the checkpoint's step (atomic rewrite). */
    private static void prepareMetrics(Path metrics, long keepUpTo) throws IOException {
        List<String> keep = new ArrayList<>();
        keep.add(HEADER);
        if (keepUpTo > 0 && Files.exists(metrics)) {
            for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                int comma = line.indexOf(',');
                if (comma > 0 && line.substring(0, comma).chars().allMatch(Character::isDigit)
                        && Long.parseLong(line.substring(0, comma)) <= keepUpTo) {
                    keep.add(line);
                }
            }
        }
        Path tmp = metrics.resolveSibling(METRICS + ".tmp");
        Files.write(tmp, keep, StandardCharsets.UTF_8);
        Files.move(tmp, metrics, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
