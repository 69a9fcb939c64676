package dev.smelt.tensor.bench;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.quant.MatMul;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.Q4_0x8;
import dev.smelt.tensor.quant.Repacked;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Throughput harness (not a test): GB/s of weight bytes streamed by matmul at batch 1 (decode) and
 * GFLOP/s at batch 32 (prefill), per format, on a matrix larger than the caches.
 * Run: java --add-modules jdk.incubator.vector -cp ... dev.smelt.tensor.bench.KernelThroughput [threads] [types] [batches] [ROWSxCOLS]
 *
 * <p>With a third argument (batch sizes, e.g. {@code 1,2,4,8,16}) it measures batched decode instead:
 * "work" = batch × weight bytes per second of (one thread's CPU) time, and its ratio to batch 1 — how
 * much more a batched step gets out of each weight byte. {@code -Dsmelt.fusedBatch=false} measures the
 * same batches on the path used before the fused kernels (row dots below 4, dequantized tile × GEMM from 4).
 */
public final class KernelThroughput {
    /** With one thread, the calling thread's CPU time: robust against other processes on a shared machine. */
    static long now(int threads) {
        return threads == 1 ? java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() : System.nanoTime();
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        // A fourth argument ROWSxCOLS measures another shape (e.g. 4864x896, Qwen2.5-0.5B's ffn_up).
        int rows = args.length > 3 ? Integer.parseInt(args[3].split("x")[0]) : 4096;
        int cols = args.length > 3 ? Integer.parseInt(args[3].split("x")[1]) : 4096;
        boolean batchedMode = args.length > 2 && !args[2].isBlank(); // "" = the default decode/prefill measurement
        String[] types = args.length > 1 ? args[1].split(",") : new String[] {"F32", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q6_K"};
        try (ThreadPool pool = new ThreadPool(threads); Arena arena = Arena.ofShared()) {
            for (String tn : types) {
                GgmlType t = GgmlType.valueOf(tn);
                WeightFormat f = Formats.of(t);
                long bytes = t.bytesFor((long) rows * cols);
                MemorySegment w = arena.allocate(bytes, 64);
                SplittableRandom r = new SplittableRandom(1);
                for (long i = 0; i < bytes; i += 2) {
                    w.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) (r.nextDouble() * 0.01)));
                }
                int maxBatch = batchedMode ? java.util.Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).max().getAsInt() : 32;
                float[] x = new float[Math.max(32, maxBatch) * cols]; // [maxBatch, cols]
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                float[] out = new float[Math.max(32, maxBatch) * rows];
                if (batchedMode) {
                    batched(pool, threads, t, f, w, bytes, rows, cols, x, out, args[2]);
                    continue;
                }
                // Warm up until C2 has compiled the kernels (slow on a busy machine): 3 s of each path.
                for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
                    MatMul.matmul(pool, f, w, 0, rows, cols, x, 1, out);
                    MatMul.matmul(pool, f, w, 0, rows, cols, x, 32, out);
                }
                double best = 0;
                for (int rep = 0; rep < 30; rep++) {
                    long t0 = now(threads);
                    MatMul.matmul(pool, f, w, 0, rows, cols, x, 1, out);
                    best = Math.max(best, bytes / ((now(threads) - t0) / 1e9));
                }
                double bestFlops = 0;
                for (int rep = 0; rep < 5; rep++) {
                    long t0 = now(threads);
                    MatMul.matmul(pool, f, w, 0, rows, cols, x, 32, out);
                    bestFlops = Math.max(bestFlops, 2.0 * rows * cols * 32 / ((now(threads) - t0) / 1e9));
                }
                System.out.printf("%-5s threads %d: decode %.2f GB/s (%.1f GB/s-f32-equiv), prefill b32 %.1f GFLOP/s%n", t, threads,
                        best / 1e9, best / 1e9 * 32 / t.bitsPerWeight(), bestFlops / 1e9);
                if (Repacked.supported(t)) {
                    integerDecode(pool, threads, t, w, bytes, rows, cols, x, out);
                }
            }
        }
    }

    private static void batched(ThreadPool pool, int threads, GgmlType t, WeightFormat f, MemorySegment w, long bytes,
                                int rows, int cols, float[] x, float[] out, String list) {
        int[] batches = java.util.Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
        for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
            for (int b : batches) {
                MatMul.matmul(pool, f, w, 0, rows, cols, x, b, out);
            }
        }
        double base = 0;
        for (int b : batches) {
            double best = 0;
            for (int rep = 0; rep < 15; rep++) {
                long t0 = now(threads);
                MatMul.matmul(pool, f, w, 0, rows, cols, x, b, out);
                best = Math.max(best, (double) b * bytes / ((now(threads) - t0) / 1e9));
            }
            if (b == 1) {
                base = best;
            }
            System.out.printf("%-5s threads %d batch %2d: %.2f GB/s of weights x batch (%.2fx batch 1), %.1f GFLOP/s%n", t, threads, b,
                    best / 1e9, base > 0 ? best / base : Double.NaN, best / bytes * 2.0 * rows * cols / 1e9);
        }
        if (Repacked.supported(t)) {
            // The integer path at the same batches: GB/s per core (work units as above) and GOP/s.
            Repacked p = Repacked.repack(t, w, 0, rows, cols);
            for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
                for (int b : batches) {
                    p.matmul(pool, x, b, out);
                }
            }
            for (int b : batches) {
                double best = 0;
                for (int rep = 0; rep < 15; rep++) {
                    long t0 = now(threads);
                    p.matmul(pool, x, b, out);
                    best = Math.max(best, (double) b * bytes / ((now(threads) - t0) / 1e9));
                }
                System.out.printf("%-5s int8 threads %d batch %2d: %.2f GB/s of weights x batch, %.1f GOP/s%n", t, threads, b,
                        best / 1e9, best / bytes * 2.0 * rows * cols / 1e9);
            }
        }
    }

    /**
     * The integer path (repacked 8-row interleaved weights × int8 activations) at batch 1, in the same
     * units as the F32-widening decode above: bytes of the original matrix per second.
     */
    private static void integerDecode(ThreadPool pool, int threads, GgmlType t, MemorySegment w, long bytes, int rows, int cols,
                                      float[] x, float[] out) {
        long t0 = System.nanoTime();
        Repacked p = Repacked.repack(t, w, 0, rows, cols);
        double repackMs = (System.nanoTime() - t0) / 1e6;
        for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
            p.matmul(pool, x, out);
        }
        double best = 0;
        for (int rep = 0; rep < 30; rep++) {
            long s = now(threads);
            p.matmul(pool, x, out);
            best = Math.max(best, bytes / ((now(threads) - s) / 1e9));
        }
        System.out.printf("%-5s int8 (repacked x8, %d-bit lanes x %d) threads %d: decode %.2f GB/s of %s bytes; repack %.0f ms%n",
                t, 16, Q4_0x8.rowsPerGroup() * Q4_0x8.elementsPerStep(), threads, best / 1e9, t, repackMs);
    }
}
