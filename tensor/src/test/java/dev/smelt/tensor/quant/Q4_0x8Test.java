package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The integer Q4_0 × Q8 decode path against its scalar oracles and the F32 path, at odd sizes. */
class Q4_0x8Test {
    /** Rows not a multiple of 8, columns odd multiples of 32 (1, 3, 11 blocks and Qwen2.5-0.5B's 896). */
    private static final int[] ROWS = {1, 7, 8, 9, 13, 17, 40};
    private static final int[] COLS = {32, 96, 352, 896};

    @Test
    void vectorQuantizationIsBitIdenticalToTheReferenceAndWithinHalfAStep() {
        SplittableRandom r = new SplittableRandom(7);
        for (int blocks : new int[] {1, 3, 7, 11}) {
            int n = 32 * blocks;
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * (i % 5 == 0 ? 10 : 1));
            }
            if (blocks == 3) {
                java.util.Arrays.fill(x, 3 + 32, 3 + 64, 0f); // an all-zero block: d = 0, q = 0
            }
            byte[] q1 = new byte[n];
            byte[] q2 = new byte[n];
            float[] d1 = new float[blocks];
            float[] d2 = new float[blocks];
            Q8Activations.quantizeReference(x, 3, n, q1, d1);
            Q8Activations.quantizeVector(x, 3, n, q2, d2);
            assertThat(q2).as("n=%d quantized values", n).containsExactly(q1);
            assertThat(d2).as("n=%d scales", n).containsExactly(d1);
            for (int i = 0; i < n; i++) {
                float d = d1[i / 32];
                double err = Math.abs(x[3 + i] - d * q1[i]);
                assertThat(err).as("element %d: x %s d %s q %d", i, x[3 + i], d, q1[i]).isLessThanOrEqualTo(d * 0.5001 + 1e-30);
            }
        }
    }

    @Test
    void packedKernelMatchesScalarOracleAndF32PathAtOddShapes() {
        X8Check.check(GgmlType.Q4_0, 11, ROWS, COLS, Q4_0x8::repack, Q4_0x8::dotReference);
    }
}
