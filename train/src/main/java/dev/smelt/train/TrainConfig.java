package dev.smelt.train;

import dev.smelt.train.model.LoraModel;
import dev.smelt.train.optim.LrSchedule;
import java.util.List;

/**
 * Hyper-parameters of a LoRA run. Defaults follow what PEFT/Unsloth users expect: all linear layers,
 * r = 16, α = 32 (2r), no dropout, AdamW lr 2e-4, wd 0.01, 10 warm-up steps, cosine, clip 1.0.
 *
 * @param batchTokens   tokens per micro-batch (examples are packed up to this; longer ones are truncated)
 * @param gradAccum     micro-batches per optimizer step
 * @param checkpointing recompute each block in backward (bounded memory) instead of keeping activations
 * @param kdAlpha       weight of the distillation KL on teacher top-k logprobs (0: off, plain cross-entropy)
 * @param kdTemperature distillation temperature T (> 0)
 */
public record TrainConfig(int rank, float alpha, boolean rsLora, float dropout, List<String> modules,
                          float lr, float weightDecay, int warmupSteps, LrSchedule.Kind schedule, float maxGradNorm,
                          int steps, int batchTokens, int gradAccum, boolean checkpointing, long seed, float kdAlpha, float kdTemperature) {

    /** Without distillation. */
    public TrainConfig(int rank, float alpha, boolean rsLora, float dropout, List<String> modules,
                       float lr, float weightDecay, int warmupSteps, LrSchedule.Kind schedule, float maxGradNorm,
                       int steps, int batchTokens, int gradAccum, boolean checkpointing, long seed) {
        this(rank, alpha, rsLora, dropout, modules, lr, weightDecay, warmupSteps, schedule, maxGradNorm, steps, batchTokens, gradAccum,
                checkpointing, seed, 0f, 1f);
    }

    public TrainConfig {
        modules = List.copyOf(modules);
        if (rank < 1) {
            throw new IllegalArgumentException("--lora-rank must be ≥ 1, got " + rank);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be ≥ 1, got " + steps);
        }
        if (batchTokens < 2) {
            throw new IllegalArgumentException("--batch-tokens must be ≥ 2, got " + batchTokens);
        }
        if (gradAccum < 1) {
            throw new IllegalArgumentException("--grad-accum must be ≥ 1, got " + gradAccum);
        }
        if (!(maxGradNorm >= 0)) {
            throw new IllegalArgumentException("--max-grad-norm must be ≥ 0 (0: no clipping), got " + maxGradNorm);
        }
        if (!(kdAlpha >= 0 && kdAlpha <= 1)) {
            throw new IllegalArgumentException("--kd-alpha must be in [0, 1], got " + kdAlpha);
        }
        if (!(kdTemperature > 0) || !Float.isFinite(kdTemperature)) {
            throw new IllegalArgumentException("--kd-temperature must be > 0, got " + kdTemperature);
        }
    }

    public static TrainConfig defaults() {
        return new TrainConfig(16, 32f, false, 0f, LoraModel.ALL_MODULES, 2e-4f, 0.01f, 10, LrSchedule.Kind.COSINE, 1f,
                100, 512, 1, true, 42);
    }

    public TrainConfig withSteps(int s) {
        return new TrainConfig(rank, alpha, rsLora, dropout, modules, lr, weightDecay, warmupSteps, schedule, maxGradNorm, s, batchTokens, gradAccum, checkpointing, seed, kdAlpha, kdTemperature);
    }

    /** The same run with token-level distillation at {@code a} and temperature {@code t}. */
    public TrainConfig withDistillation(float a, float t) {
        return new TrainConfig(rank, alpha, rsLora, dropout, modules, lr, weightDecay, warmupSteps, schedule, maxGradNorm, steps, batchTokens, gradAccum,
                checkpointing, seed, a, t);
    }

    public LrSchedule lrSchedule() {
        return new LrSchedule(schedule, lr, Math.min(warmupSteps, Math.max(0, steps - 1)), steps);
    }
}
