package dev.smelt.runtime.bench;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.Models;
import dev.smelt.model.SequenceBatch;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Throughput harness (not a test): decode steps of B sequences in one batch, as {@code smelt serve}'s
 * engine runs them (one forward over B decode tokens, then B untruncated samples at temperature 0.8),
 * for each B given. Prints wall tokens/s and the process CPU seconds per token (robust on a shared
 * machine). {@code -Dsmelt.fusedBatch=false} measures the matmul path used before the fused kernels.
 * Run: java --add-modules jdk.incubator.vector -cp ... dev.smelt.runtime.bench.BatchedDecode MODEL THREADS STEPS B1,B2,...
 */
public final class BatchedDecode {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        String[] bs = args[3].split(",");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (DecoderModel m = Models.load(model); ThreadPool pool = new ThreadPool(threads)) {
            int vocab = m.config().vocab();
            SplittableRandom r = new SplittableRandom(1);
            for (String b : bs) {
                int batch = Integer.parseInt(b);
                KvCache[] caches = new KvCache[batch];
                Sampler[] samplers = new Sampler[batch];
                int[] next = new int[batch];
                for (int i = 0; i < batch; i++) {
                    caches[i] = m.newCache(steps * 2 + 40);
                    samplers[i] = new Sampler(new SamplerConfig(0.8f, 0, 1f, 0f, 1f, 64, 0f, 0f, i));
                    int[] prompt = r.ints(32, 3, vocab).toArray();
                    float[] l = m.forward(pool, prompt, prompt.length, caches[i], false);
                    next[i] = samplers[i].sample(l, 0, vocab, prompt, 0);
                }
                for (int warm = 0; warm < 2; warm++) {
                    run(m, pool, caches, samplers, next, Math.max(2, steps / 2), vocab);
                }
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                run(m, pool, caches, samplers, next, steps, vocab);
                double wall = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                int tokens = steps * batch;
                System.out.printf("batch %2d: %6.1f tokens/s wall, %.2f ms CPU per token, %.1f ms per step (fusedBatch=%s)%n",
                        batch, tokens / wall, 1000 * cpu / tokens, 1000 * wall / steps, System.getProperty("smelt.fusedBatch", "true"));
            }
        }
    }

    private static void run(DecoderModel m, ThreadPool pool, KvCache[] caches, Sampler[] samplers, int[] next, int steps, int vocab) {
        for (int s = 0; s < steps; s++) {
            SequenceBatch batch = new SequenceBatch();
            for (int i = 0; i < caches.length; i++) {
                batch.add(caches[i], next[i], true);
            }
            float[] logits = m.forward(pool, batch);
            for (int i = 0; i < caches.length; i++) {
                next[i] = samplers[i].sample(logits, i * vocab, vocab, new int[0], 0);
            }
            if (caches[0].length() + 2 >= caches[0].capacity()) {
                for (KvCache c : caches) {
                    c.truncate(32);
                }
            }
        }
    }
}
