package dev.smelt.cli;

import dev.smelt.train.bench.TrainBench;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt bench-train MODEL}: LoRA training tokens/s and peak memory, as tools/torch_lora_bench.py measures PyTorch. */
@Command(name = "bench-train", description = "Measure LoRA training throughput (random tokens, LoRA on all linear layers, AdamW).")
final class TrainBenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelArgument model;

    @Option(names = "--seq", defaultValue = "256", description = "Tokens per step (default ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--steps", defaultValue = "3", description = "Timed steps after one warm-up step (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--rank", defaultValue = "16", description = "LoRA rank (default ${DEFAULT-VALUE}).")
    int rank;

    @picocli.CommandLine.Mixin
    ThreadsOption threadsOption;

    @Option(names = "--grad-checkpointing", description = "Recompute blocks in backward (less memory, ~1/3 more compute).")
    boolean checkpointing;

    @Override
    public Integer call() throws Exception {
        int threads = threadsOption.count();
        if (seq < 2 || steps < 1 || rank < 1) {
            throw new IllegalArgumentException("--seq (≥ 2), --steps, --rank (≥ 1) got " + seq + ", " + steps + ", " + rank);
        }
        TrainBench.Result r = TrainBench.run(model.resolve(), seq, steps, threads, rank, checkpointing);
        System.out.printf(Locale.ROOT, "smelt threads=%d seq=%d rank=%d checkpointing=%s: %.1f train tokens/s, %.2f CPU s/step (%.1f ms/token), peak RSS %d MiB%n",
                threads, seq, rank, checkpointing, r.tokensPerSecond(), r.cpuSecondsPerStep(), 1000 * r.cpuSecondsPerStep() / seq, r.peakRssMiB());
        return 0;
    }
}
