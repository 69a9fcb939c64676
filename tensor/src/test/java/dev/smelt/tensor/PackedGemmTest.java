package dev.smelt.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PackedGemmTest {
    /** Reordered float sums of up to 300 N(0,1) products: |error| ≲ 1e-3 absolute here. */
    static final double ABS_TOL = 2e-3;

    @Test
    void matchesScalarReferenceAtOddSizes() {
        SplittableRandom r = new SplittableRandom(11);
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int rows : new int[] {1, 3, 4, 5, 67, 130}) {
                for (int k : new int[] {1, 7, 16, 33, 300}) {
                    for (int n : new int[] {1, 15, PackedGemm.NR, PackedGemm.NR + 1, 2 * PackedGemm.NR + 5}) {
                        float[] x = gauss(r, rows * k);
                        float[] w = gauss(r, n * k);
                        float[] bias = gauss(r, n);
                        float[] got = new float[rows * n];
                        float[] want = new float[rows * n];
                        PackedGemm.multiply(pool, x, rows, k, PackedGemm.pack(w, n, k), n, bias, got);
                        PackedGemm.reference(x, rows, k, w, n, bias, want);
                        assertClose(want, got, "rows " + rows + " k " + k + " n " + n);
                        PackedGemm.multiply(pool, x, rows, k, PackedGemm.packTransposed(transpose(w, n, k), k, n), n, null, got);
                        PackedGemm.reference(x, rows, k, w, n, null, want);
                        assertClose(want, got, "transposed, no bias: rows " + rows + " k " + k + " n " + n);
                    }
                }
            }
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (ThreadPool pool = new ThreadPool(1)) {
            float[] packed = PackedGemm.pack(new float[6], 2, 3);
            assertThatThrownBy(() -> PackedGemm.multiply(pool, new float[5], 2, 3, packed, 2, null, new float[4]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x 5");
            assertThatThrownBy(() -> PackedGemm.pack(new float[5], 2, 3)).hasMessageContaining("expected 6 values, got 5");
        }
    }

    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }

    static float[] gauss(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1) * 1.7f;
        }
        return a;
    }

    static void assertClose(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            assertThat(d).as("%s: index %d expected %s got %s (diff %s)", what, i, want[i], got[i], d).isLessThanOrEqualTo(ABS_TOL);
        }
    }
}
