package dev.smelt.train;

import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.LoraParam;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.data.PackedBatch;
import dev.smelt.train.optim.AdamW;
import dev.smelt.train.optim.LrSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * The LoRA training loop: each optimizer step packs {@code gradAccum} micro-batches, normalizes every
 * token's loss by the step's total target-token count (not per micro-batch: each token weighs the
 * same however examples fall into batches), clips the global gradient norm, and applies AdamW at the
 * scheduled learning rate. Everything that decides the next step (adapter, moments, step, data
 * position, seed; dropout masks are derived from seed and step) is in the checkpoint, so a resumed
 * run continues bit for bit. Not thread-safe; parallel inside on the pool.
 */
public final class Trainer {
    private java.util.Map<String, String> provenance = java.util.Map.of();
    private final LoraModel model;
    private final TrainConfig cfg;
    private final ThreadPool pool;
    private final DataStream data;
    private final List<LoraParam> params;
    private final AdamW opt;
    private final LrSchedule schedule;
    private final LongSupplier clock;
    private long step;

    /** One optimizer step's outcome; loss is the mean over its target tokens. */
    public record StepResult(long step, double loss, float lr, double gradNorm, int tokens, int targetTokens, double seconds) {
        public double tokensPerSecond() {
            return tokens / Math.max(1e-9, seconds);
        }
    }

    private Trainer(LoraModel model, List<TokenizedExample> train, TrainConfig cfg, ThreadPool pool, LongSupplier clock) {
        this.model = model;
        this.cfg = cfg;
        this.pool = pool;
        this.clock = clock;
        this.data = new DataStream(train, cfg.seed(), cfg.batchTokens());
        model.setDropout(cfg.dropout());
        model.setDistillation(cfg.kdAlpha(), cfg.kdTemperature());
        this.params = new ArrayList<>(model.params().values());
        int[] sizes = new int[params.size() * 2];
        for (int i = 0; i < params.size(); i++) {
            sizes[2 * i] = params.get(i).a().length;
            sizes[2 * i + 1] = params.get(i).b().length;
        }
        this.opt = new AdamW(sizes, cfg.weightDecay());
        this.schedule = cfg.lrSchedule();
    }

    /** A fresh run: a new adapter initialized from {@code cfg.seed()} (PEFT's init). */
    public static Trainer start(LoraModel model, List<TokenizedExample> train, TrainConfig cfg, ThreadPool pool, LongSupplier nanoClock) {
        model.newAdapter(cfg.rank(), cfg.alpha(), cfg.rsLora(), cfg.modules(), new SplittableRandom(cfg.seed()));
        return new Trainer(model, train, cfg, pool, nanoClock);
    }

    /** Continues the run saved in {@code checkpoint}; {@code cfg} must describe the same adapter. */
    public static Trainer resume(LoraModel model, List<TokenizedExample> train, TrainConfig cfg, ThreadPool pool,
                                 LongSupplier nanoClock, Path checkpoint) throws IOException {
        Checkpoint.State s = Checkpoint.read(checkpoint, cfg, train.size());
        model.attach(s.adapter());
        Trainer t = new Trainer(model, train, cfg, pool, nanoClock);
        t.opt.restore(s.step(), s.m(), s.v());
        t.step = s.step();
        t.data.seek(s.epoch(), s.index());
        return t;
    }

    public long step() {
        return step;
    }

    public boolean done() {
        return step >= cfg.steps();
    }

    public LoraAdapter adapter() {
        return model.adapter();
    }

    /** Runs one optimizer step. */
    public StepResult trainStep() {
        long t0 = clock.getAsLong();
        List<PackedBatch> micro = new ArrayList<>();
        int targets = 0;
        int tokens = 0;
        for (int i = 0; i < cfg.gradAccum(); i++) {
            PackedBatch b = data.next();
            micro.add(b);
            targets += b.targetCount();
            tokens += b.size();
        }
        model.zeroGrad();
        double sum = 0;
        for (int i = 0; i < micro.size(); i++) {
            long seed = new SplittableRandom(cfg.seed() ^ (step * 1_000_003L + i)).nextLong();
            Grad.Loss l = model.lossAndGrad(pool, micro.get(i), targets, cfg.checkpointing(), seed);
            sum += l.sum();
        }
        double norm = clipGradients();
        float lr = schedule.at(step);
        opt.beginStep();
        for (int i = 0; i < params.size(); i++) {
            LoraParam p = params.get(i);
            opt.update(2 * i, p.a(), p.gradA, lr);
            opt.update(2 * i + 1, p.b(), p.gradB, lr);
        }
        step++;
        double secs = (clock.getAsLong() - t0) / 1e9;
        return new StepResult(step, sum / targets, lr, norm, tokens, targets, secs);
    }

    /** Global L2 norm of all LoRA gradients; scaled down to maxGradNorm when above it (torch's clip_grad_norm_). */
    private double clipGradients() {
        double ss = 0;
        for (LoraParam p : params) {
            for (float g : p.gradA) {
                ss += (double) g * g;
            }
            for (float g : p.gradB) {
                ss += (double) g * g;
            }
        }
        double norm = Math.sqrt(ss);
        if (cfg.maxGradNorm() > 0 && norm > cfg.maxGradNorm()) {
            float k = (float) (cfg.maxGradNorm() / (norm + 1e-6));
            for (LoraParam p : params) {
                for (int i = 0; i < p.gradA.length; i++) {
                    p.gradA[i] *= k;
                }
                for (int i = 0; i < p.gradB.length; i++) {
                    p.gradB[i] *= k;
                }
            }
        }
        return norm;
    }

    /** Mean loss over the target tokens of {@code examples} (packed like training batches). */
    public double evaluate(List<TokenizedExample> examples) {
        double sum = 0;
        long count = 0;
        List<TokenizedExample> batch = new ArrayList<>();
        int tokens = 0;
        for (TokenizedExample raw : examples) {
            TokenizedExample e = DataStream.truncate(raw, cfg.batchTokens());
            if (!batch.isEmpty() && tokens + e.tokens().length > cfg.batchTokens()) {
                PackedBatch b = PackedBatch.pack(batch);
                sum += model.evalLoss(pool, b);
                count += b.targetCount();
                batch.clear();
                tokens = 0;
            }
            batch.add(e);
            tokens += e.tokens().length;
        }
        if (!batch.isEmpty()) {
            PackedBatch b = PackedBatch.pack(batch);
            sum += model.evalLoss(pool, b);
            count += b.targetCount();
        }
        if (count == 0) {
            throw new IllegalArgumentException("validation set has no target tokens");
        }
        return sum / count;
    }

    /** Writes the complete training state atomically (temp file, then rename). */
    public void saveCheckpoint(Path file) throws IOException {
        Checkpoint.write(file, model.adapter(), cfg, step, data.epoch(), data.index(), data.size(), opt, provenance);
    }

    /** Extra checkpoint metadata naming what this run trains from (file digests); empty by default. */
    public Trainer provenance(java.util.Map<String, String> values) {
        this.provenance = java.util.Map.copyOf(values);
        return this;
    }
}
