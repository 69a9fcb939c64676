package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The integer Q4_K × Q8_K decode path against its scalar oracles and the F32 path, at odd sizes. */
class Q4_Kx8Test {
    /** Rows not a multiple of 8; 1, 3 and 5 blocks (5: past EXPAND_MAX_COLS, the permuted-activation path). */
    private static final int[] ROWS = {1, 7, 8, 9, 13, 17, 40};
    private static final int[] COLS = {256, 768, 1280};

    @Test
    void q8kActivationsMatchTheReferenceAndSumEach16Values() {
        SplittableRandom r = new SplittableRandom(3);
        for (int blocks : new int[] {1, 3}) {
            int n = 256 * blocks;
            float[] x = new float[n + 5];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 8 : 1));
            }
            Q8Activations a = new Q8Activations(Q8Activations.BLOCK_K);
            a.quantize(x, 5, n);
            byte[] q = new byte[n];
            float[] d = new float[blocks];
            Q8Activations.quantizeReference(x, 5, n, 256, q, d);
            for (int i = 0; i < n; i++) {
                assertThat(a.q[i]).as("n=%d element %d", n, i).isEqualTo(q[i]);
                assertThat(Math.abs(x[5 + i] - d[i / 256] * q[i])).as("element %d rounding", i).isLessThanOrEqualTo(d[i / 256] * 0.5001f);
            }
            assertThat(java.util.Arrays.copyOf(a.d, blocks)).containsExactly(d);
            for (int s = 0; s < n / 16; s++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) {
                    sum += q[16 * s + i];
                }
                assertThat(a.sums[s]).as("sum %d", s).isEqualTo(sum);
            }
        }
    }

    @Test
    void packedKernelMatchesScalarOracleAndF32PathAtOddShapes() {
        // The oracle's two sums (scales, mins) are each up to Σ|d·sc·q·x| and Σ|dmin·m·x|.
        X8Check.check(new X8Check.Spec(GgmlType.Q4_K, Q8Activations.BLOCK_K, 3, Q4_Kx8Test::randomQ4_K, Q4_Kx8::repack,
                Q4_Kx8::dotReference, Q4_Kx8Test::partsBound), 17, ROWS, COLS);
    }

    /** Σ|d·sc·q·x| + Σ|dmin·m·x| over one row: the magnitude of the two partial sums the kernels round. */
    private static double partsBound(MemorySegment w, long off, int cols, float[] x) {
        double s = 0;
        for (int b = 0; b < cols / 256; b++) {
            long o = off + 144L * b;
            double d = Math.abs(BlockFormat.f16(w, o));
            double dmin = Math.abs(BlockFormat.f16(w, o + 2));
            for (int i = 0; i < 256; i++) {
                int j = i / 32;
                int q = BlockFormat.u8(w, o + 16 + 32 * (j / 2) + i % 32);
                q = j % 2 == 0 ? q & 15 : q >> 4;
                double xi = Math.abs(x[256 * b + i]);
                s += d * ScalarFormats.scale(w, o + 4, j) * q * xi + dmin * ScalarFormats.minK(w, o + 4, j) * xi;
            }
        }
        return s;
    }

    /** Random Q4_K rows from {@code lead}: random nibbles and 6-bit scales/mins, small positive d and dmin. */
    static MemorySegment randomQ4_K(long n, int lead, SplittableRandom r) {
        byte[] b = new byte[(int) n];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        MemorySegment w = MemorySegment.ofArray(b);
        ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long o = lead; o + 144 <= n; o += 144) {
            w.set(le, o, Float.floatToFloat16((float) (r.nextDouble() * 0.002)));
            w.set(le, o + 2, Float.floatToFloat16((float) (r.nextDouble() * 0.002)));
        }
        return w;
    }
}
