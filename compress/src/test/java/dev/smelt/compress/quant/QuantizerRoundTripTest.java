package dev.smelt.compress.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Quantize → dequantize (with the independent test dequantizers) stays within each type's expected
 * error; argument checks; parallel equals sequential; importance lowers the weighted error.
 */
class QuantizerRoundTripTest {
    /**
     * Largest allowed RMS error relative to the RMS of Gaussian data, per type. The values sit 1.5–2×
     * above what these quantizers measured on this data (Q4_0 0.086, Q4_K 0.069, Q8_0 0.0054, Q2_K 0.29),
     * so a wrong nibble order or scale packing (errors near 1.0) fails clearly.
     */
    private static final Map<GgmlType, Double> MAX_REL_RMS = Map.ofEntries(
            Map.entry(GgmlType.F16, 1e-3), Map.entry(GgmlType.BF16, 5e-3), Map.entry(GgmlType.Q8_0, 0.008),
            Map.entry(GgmlType.Q6_K, 0.03), Map.entry(GgmlType.Q5_0, 0.07), Map.entry(GgmlType.Q5_1, 0.06),
            Map.entry(GgmlType.Q5_K, 0.05), Map.entry(GgmlType.Q4_0, 0.15), Map.entry(GgmlType.Q4_1, 0.13),
            Map.entry(GgmlType.Q4_K, 0.11), Map.entry(GgmlType.IQ4_NL, 0.13), Map.entry(GgmlType.IQ4_XS, 0.13),
            Map.entry(GgmlType.Q3_K, 0.25), Map.entry(GgmlType.Q2_K, 0.5));

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 0.02);
        }
        return x;
    }

    private static double relRms(float[] x, float[] y, float[] w, int cols) {
        double e = 0;
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double wi = w == null ? 1 : w[i % cols];
            e += wi * (x[i] - y[i]) * (x[i] - y[i]);
            s += wi * x[i] * x[i];
        }
        return Math.sqrt(e / s);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K",
        "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void roundTripErrorIsSmall(GgmlType type) {
        // odd numbers of blocks (3 or 7) and rows, starting at an offset inside the source array
        int cols = type.blockSize() == 256 ? 768 : type.blockSize() == 32 ? 224 : 33;
        int rows = 5;
        float[] x = gaussian(rows * cols + 7, 42);
        Quantizer q = Quantizers.forType(type);
        byte[] dst = new byte[q.rowBytes(cols) * rows + 3];
        float[] y = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            q.quantizeRow(x, 7 + r * cols, cols, null, dst, 3 + r * q.rowBytes(cols));
            float[] row = TestDequant.dequantize(type, dst, 3 + r * q.rowBytes(cols), cols);
            System.arraycopy(row, 0, y, r * cols, cols);
        }
        float[] src = Arrays.copyOfRange(x, 7, 7 + rows * cols);
        double rel = relRms(src, y, null, cols);
        System.out.printf("%s round-trip relative RMS error %.5f (limit %.3f)%n", type, rel, MAX_REL_RMS.get(type));
        assertThat(rel).as("%s relative RMS error", type).isLessThan(MAX_REL_RMS.get(type));
        // an all-zero row must come back as zeros
        float[] zero = new float[cols];
        byte[] zq = new byte[q.rowBytes(cols)];
        q.quantizeRow(zero, 0, cols, null, zq, 0);
        for (float v : TestDequant.dequantize(type, zq, 0, cols)) {
            assertThat(v).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
        "Q6_K", "IQ4_NL", "IQ4_XS"})
    void importanceLowersTheWeightedError(GgmlType type) {
        int cols = 512;
        int rows = 64;
        float[] x = gaussian(rows * cols, 7);
        float[] imp = new float[cols];
        Random r = new Random(3);
        for (int i = 0; i < cols; i++) {
            // a few columns matter far more than the rest, as with real activations
            imp[i] = r.nextInt(16) == 0 ? 50f : 0.5f + r.nextFloat();
        }
        float[] plain = TestDequant.dequantize(type, Quantizers.quantizeMatrix(type, x, rows, cols, null, null), 0, x.length);
        float[] weighted = TestDequant.dequantize(type, Quantizers.quantizeMatrix(type, x, rows, cols, imp, null), 0, x.length);
        assertThat(relRms(x, weighted, imp, cols)).as("%s importance-weighted error", type)
                .isLessThan(relRms(x, plain, imp, cols));
    }

    @Test
    void parallelMatrixEqualsSequentialRows() {
        int rows = 37;
        int cols = 512;
        float[] x = gaussian(rows * cols, 9);
        try (ThreadPool pool = new ThreadPool(2)) {
            for (GgmlType t : Quantizers.supported()) {
                byte[] par = Quantizers.quantizeMatrix(t, x, rows, cols, null, pool);
                byte[] seq = Quantizers.quantizeMatrix(t, x, rows, cols, null, null);
                assertThat(par).as("%s", t).isEqualTo(seq);
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheOffendingValue() {
        Quantizer q = Quantizers.forType(GgmlType.Q4_K);
        float[] x = new float[512];
        byte[] y = new byte[288];
        assertThatThrownBy(() -> q.quantizeRow(x, 0, 100, null, y, 0)).hasMessageContaining("100").hasMessageContaining("256");
        assertThatThrownBy(() -> q.quantizeRow(x, 300, 256, null, y, 0)).hasMessageContaining("300");
        assertThatThrownBy(() -> q.quantizeRow(x, 0, 512, null, new byte[10], 0)).hasMessageContaining("length 10");
        assertThatThrownBy(() -> q.quantizeRow(x, 0, 512, new float[3], y, 0)).hasMessageContaining("3 entries");
        assertThatThrownBy(() -> Quantizers.forType(GgmlType.Q8_K)).hasMessageContaining("Q8_K");
        assertThatThrownBy(() -> Quantizers.quantizeMatrix(GgmlType.Q8_0, x, 2, 512, null, null)).hasMessageContaining("1024");
        assertThatThrownBy(() -> Quantizers.quantizeMatrix(GgmlType.Q8_0, x, 2, 256, new float[5], null)).hasMessageContaining("5");
    }
}
