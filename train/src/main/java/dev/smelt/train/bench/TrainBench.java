package dev.smelt.train.bench;

import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.TrainConfig;
import dev.smelt.train.Trainer;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.optim.LrSchedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * LoRA training throughput measured like ../shared/tools/torch_lora_bench.py: one random sequence of
 * {@code seq} tokens per step (every next token scored), LoRA on all linear layers, AdamW; the first
 * step is warm-up and not timed. Reports train tokens/s and the process's peak resident memory
 * (VmHWM). Usage: {@code TrainBench MODEL.gguf [seq=256] [steps=3] [threads=2] [rank=16] [checkpointing=false]}.
 * Not thread-safe.
 */
public final class TrainBench {
    private TrainBench() {
    }

    /**
     * @param tokensPerSecond   timed tokens / timed wall seconds
     * @param cpuSecondsPerStep process CPU time (all threads, incl. GC and JIT) per timed step: the number that
     *                          stays meaningful on a shared machine, where wall time depends on the other load
     */
    public record Result(double tokensPerSecond, long peakRssMiB, double firstLoss, double lastLoss, double cpuSecondsPerStep) {
    }

    /** CPU time of this process in nanoseconds, or -1 where the JVM does not report it. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    public static Result run(Path model, int seq, int steps, int threads, int rank, boolean checkpointing) throws IOException {
        try (LoraModel m = LoraModel.open(model); ThreadPool pool = new ThreadPool(threads)) {
            Random r = new Random(0);
            List<TokenizedExample> data = new ArrayList<>();
            for (int s = 0; s <= steps; s++) {
                int[] t = new int[seq];
                boolean[] target = new boolean[seq];
                for (int i = 0; i < seq; i++) {
                    t[i] = 3 + r.nextInt(m.config().vocab() - 3);
                    target[i] = i > 0;
                }
                data.add(new TokenizedExample(t, target, "random:" + s));
            }
            TrainConfig cfg = new TrainConfig(rank, 2f * rank, false, 0f, LoraModel.ALL_MODULES, 1e-4f, 0.01f, 0, LrSchedule.Kind.CONSTANT, 0f,
                    steps + 1, seq, 1, checkpointing, 0);
            Trainer t = Trainer.start(m, data, cfg, pool, System::nanoTime);
            Trainer.StepResult first = t.trainStep();
            long tokens = 0;
            double secs = 0;
            Trainer.StepResult last = first;
            long cpu0 = processCpuNanos();
            int timed = 0;
            while (!t.done()) {
                timed++;
                last = t.trainStep();
                tokens += last.tokens();
                secs += last.seconds();
            }
            long cpu1 = processCpuNanos();
            double cpuPerStep = cpu0 < 0 || timed == 0 ? Double.NaN : (cpu1 - cpu0) / 1e9 / timed;
            return new Result(tokens / secs, peakRssMiB(), first.loss(), last.loss(), cpuPerStep);
        }
    }

    /** VmHWM from /proc/self/status, or -1 where there is none. */
    public static long peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: TrainBench MODEL.gguf [seq=256] [steps=3] [threads=2] [rank=16] [checkpointing=false]");
            System.exit(2);
        }
        int seq = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int rank = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        boolean ckpt = args.length > 5 && Boolean.parseBoolean(args[5]);
        Result res = run(Path.of(args[0]), seq, steps, threads, rank, ckpt);
        System.out.printf("smelt threads=%d seq=%d rank=%d checkpointing=%s: %.1f train tokens/s, %.2f CPU s/step, peak RSS %d MiB (loss %.3f -> %.3f)%n",
                threads, seq, rank, ckpt, res.tokensPerSecond(), res.cpuSecondsPerStep(), res.peakRssMiB(), res.firstLoss(), res.lastLoss());
    }
}
