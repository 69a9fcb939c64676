package dev.smelt.cli;

import dev.smelt.train.FinetuneJob;
import dev.smelt.train.TrainConfig;
import dev.smelt.train.Trainer;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.optim.LrSchedule;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code smelt finetune --model M.gguf --data train.jsonl --out DIR}: LoRA fine-tuning with a progress
 * bar; Ctrl-C finishes the current step and leaves a usable checkpoint and adapter.
 */
@Command(name = "finetune", description = "LoRA fine-tuning of a GGUF model (llama, qwen2, qwen3, phi3, gemma3) on chat, prompt/completion or text JSONL.")
final class FinetuneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Base model GGUF (any weight type; it stays frozen).")
    Path model;

    @Option(names = "--data", required = true, description = "Training JSONL: {\"messages\": […]} (chat template; loss on assistant turns), {\"prompt\", \"completion\"} or {\"text\"}.")
    Path data;

    @Option(names = "--val", description = "Validation JSONL (same format): eval loss in metrics.csv.")
    Path val;

    @Option(names = "--val-fraction", defaultValue = "0", description = "Without --val: hold out this fraction of --data (seeded; default ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--out", required = true, description = "Output directory (PEFT adapter, adapter.gguf, checkpoint, metrics.csv).")
    Path out;

    @Option(names = "--steps", defaultValue = "100", description = "Optimizer steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--lora-rank", defaultValue = "16", description = "LoRA rank r (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--lora-alpha", description = "LoRA alpha (default 2·rank).")
    Float alpha;

    @Option(names = "--lora-dropout", defaultValue = "0", description = "Dropout on the LoRA input (default ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--lora-targets", split = ",", description = "Modules: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj (default all).")
    List<String> targets;

    @Option(names = "--rslora", description = "Rank-stabilized LoRA: scale alpha/√r instead of alpha/r.")
    boolean rsLora;

    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay (default ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--warmup", defaultValue = "10", description = "Warm-up steps (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--schedule", defaultValue = "cosine", description = "cosine, linear or constant (default ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Clip the global gradient norm (0: off; default ${DEFAULT-VALUE}).")
    float maxGradNorm;

    @Option(names = "--batch-tokens", defaultValue = "512", description = "Tokens per micro-batch; examples are packed (default ${DEFAULT-VALUE}).")
    int batchTokens;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--no-grad-checkpointing", description = "Keep all activations (faster, more memory).")
    boolean noCheckpointing;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of LoRA init, data order and dropout (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--save-every", defaultValue = "50", description = "Checkpoint every N steps (default ${DEFAULT-VALUE}).")
    int saveEvery;

    @Option(names = "--eval-every", defaultValue = "0", description = "Eval loss every N steps (0: at the end only; default ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--resume", description = "Continue from DIR/checkpoint.safetensors.")
    boolean resume;

    @Option(names = "--kd-alpha", defaultValue = "0", description = "Token-level distillation: weight of KL(teacher top-k || student) vs cross-entropy, on data with teacher \"logprobs\" (0: off; default ${DEFAULT-VALUE}).")
    float kdAlpha;

    @Option(names = "--kd-temperature", defaultValue = "1", description = "Distillation temperature (default ${DEFAULT-VALUE}).")
    float kdTemperature;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        TrainConfig cfg = new TrainConfig(rank, alpha != null ? alpha : 2f * rank, rsLora, dropout,
                targets == null ? LoraModel.ALL_MODULES : targets, lr, weightDecay, warmup, LrSchedule.kind(schedule),
                maxGradNorm, steps, batchTokens, gradAccum, !noCheckpointing, seed, kdAlpha, kdTemperature);
        int t = threads.count();
        FinetuneJob.Options o = new FinetuneJob.Options(ModelRefs.resolve(model), data, val, valFraction, out, cfg, t, saveEvery, evalEvery, resume);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            System.err.println("\nsmelt finetune: stopping after this step, saving a checkpoint …");
            try {
                finished.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "finetune-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Progress[] bar = new Progress[1];
        long[] firstStep = {0};
        try {
            FinetuneJob.Outcome res = FinetuneJob.run(o, new FinetuneJob.Listener() {
                @Override
                public void onStart(long first, long total, int trainExamples, int valExamples) {
                    System.err.printf("finetune: %d training examples%s, steps %d..%d, LoRA r=%d alpha=%s on %s%n", trainExamples,
                            valExamples > 0 ? ", " + valExamples + " validation" : "", first + 1, total, cfg.rank(), cfg.alpha(), String.join(",", cfg.modules()));
                    firstStep[0] = first;
                    bar[0] = new Progress(System.err, "finetune", total - first);
                }

                @Override
                public void onStep(Trainer.StepResult r, double evalLoss) {
                    bar[0].update(r.step() - firstStep[0], String.format(Locale.ROOT, "step %d loss %.4f%s lr %.2e %.0f tok/s",
                            r.step(), r.loss(), Double.isNaN(evalLoss) ? "" : String.format(Locale.ROOT, " eval %.4f", evalLoss), r.lr(), r.tokensPerSecond()));
                }
            }, stop, System::nanoTime, java.time.Clock.systemUTC(), new java.security.SecureRandom());
            System.out.printf(Locale.ROOT, "%s after %d steps: loss %.4f%s; adapter, checkpoint and metrics.csv in %s%n",
                    res.stopped() ? "stopped" : "done", res.steps(), res.lastLoss(),
                    Double.isNaN(res.evalLoss()) ? "" : String.format(Locale.ROOT, ", eval loss %.4f", res.evalLoss()), out);
            return res.stopped() ? 130 : 0;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting (Ctrl-C): the hook waits for the latch released above
            }
        }
    }
}
