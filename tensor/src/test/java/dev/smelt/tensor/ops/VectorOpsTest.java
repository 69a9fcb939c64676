package dev.smelt.tensor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sampling primitives of {@link VectorOps} against their {@link ScalarOps} twins at odd sizes. */
class VectorOpsTest {
    /** Relative error allowed per exp value: the vector exp is within a few float ulp (1.2e-7 each). */
    static final double EXP_REL = 1e-6;
    private static final int[] SIZES = {0, 1, 7, 15, 16, 17, 33, 1001};

    @Test
    void maxMatchesScalar() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : SIZES) {
            float[] x = logits(r, n + 3);
            assertThat(VectorOps.max(x, 3, n)).as("n=%d", n).isEqualTo(ScalarOps.max(x, 3, n));
        }
    }

    @Test
    void expShiftedMatchesScalarIncludingMinusInfinity() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : SIZES) {
            float[] x = logits(r, n + 2);
            if (n > 3) {
                x[4] = Float.NEGATIVE_INFINITY;
            }
            float shift = ScalarOps.max(x, 2, n);
            float[] got = new float[n + 1];
            float[] want = new float[n + 1];
            double sumGot = VectorOps.expShifted(x, 2, n, shift, 1.25f, got, 1);
            double sumWant = ScalarOps.expShifted(x, 2, n, shift, 1.25f, want, 1);
            for (int i = 1; i <= n; i++) {
                assertThat((double) Math.abs(got[i] - want[i])).as("n=%d index %d: vector %s scalar %s", n, i, got[i], want[i])
                        .isLessThanOrEqualTo(EXP_REL * want[i]);
            }
            assertThat(Math.abs(sumGot - sumWant)).as("n=%d sum: vector %s scalar %s", n, sumGot, sumWant)
                    .isLessThanOrEqualTo(EXP_REL * sumWant);
            if (n > 3) {
                assertThat(got[3]).as("exp(-inf) is 0").isZero();
            }
        }
    }

    private static float[] logits(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 8);
        }
        return x;
    }

    /** SwiGLU products: the vector exp and division round differently from the scalar path by a few ulp. */
    static final double SWIGLU_REL = 1e-6;

    @Test
    void swigluMatchesScalarAtOddSizesAndExtremes() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : SIZES) {
            float[] gate = logits(r, n + 1);
            float[] up = logits(r, n + 2);
            if (n > 20) {
                gate[3] = 120f;   // e^-g underflows: silu(g) = g
                gate[4] = -120f;  // e^-g overflows to +inf: silu(g) = -0
                gate[5] = 0f;
            }
            float[] got = new float[n + 3];
            float[] want = new float[n + 3];
            VectorOps.swiglu(gate, 1, up, 2, got, 3, n);
            ScalarOps.swiglu(gate, 1, up, 2, want, 3, n);
            for (int i = 3; i < n + 3; i++) {
                assertThat((double) Math.abs(got[i] - want[i])).as("n=%d index %d: vector %s scalar %s", n, i, got[i], want[i])
                        .isLessThanOrEqualTo(SWIGLU_REL * Math.abs(want[i]) + 1e-30);
            }
            float[] inPlace = gate.clone();
            VectorOps.swiglu(inPlace, 1, up, 2, inPlace, 1, n);
            for (int i = 0; i < n; i++) {
                assertThat(inPlace[1 + i]).as("aliased output, n=%d index %d", n, i).isEqualTo(got[3 + i]);
            }
        }
    }
}
