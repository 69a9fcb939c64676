package dev.smelt.compress.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures quantization speed (weights per second, all available cores) on a [4096, 4096] Gaussian
 * matrix, with and without importance, and prints the projected time for a 0.5B-parameter model.
 * Slow: run with {@code -Pslow}.
 */
@Tag("slow")
class QuantizeThroughputTest {
    private static final double HALF_BILLION = 0.5e9;

    @Test
    void throughput() {
        int rows = 4096;
        int cols = 4096;
        Random r = new Random(5);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 0.02);
        }
        float[] imp = new float[cols];
        for (int i = 0; i < cols; i++) {
            imp[i] = 0.5f + r.nextFloat();
        }
        try (ThreadPool pool = ThreadPool.withAvailableProcessors()) {
            for (GgmlType t : new GgmlType[] {GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
                GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
                GgmlType.IQ4_NL, GgmlType.IQ4_XS}) {
                for (float[] w : new float[][] {null, imp}) {
                    Quantizers.quantizeMatrix(t, x, rows / 8, cols, w, pool); // warm-up
                    long t0 = System.nanoTime();
                    byte[] out = Quantizers.quantizeMatrix(t, x, rows, cols, w, pool);
                    double s = (System.nanoTime() - t0) / 1e9;
                    double rate = (double) rows * cols / s;
                    System.out.printf("%-7s %-9s %7.1f M weights/s  -> 0.5B params in %6.1f s (%d threads)%n", t,
                            w == null ? "plain" : "imatrix", rate / 1e6, HALF_BILLION / rate, pool.threads());
                    assertThat(out).hasSize(Math.toIntExact(t.bytesFor((long) rows * cols)));
                }
            }
        }
    }
}
