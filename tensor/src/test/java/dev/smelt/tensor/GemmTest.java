package dev.smelt.tensor;

import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.MatMul;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GemmTest {
    /** Reordered float sums over up to 300 terms of N(0,1) products: |error| ≲ 300·6e-8·Σ|ab| ≈ 1e-3 abs here. */
    static final double ABS_TOL = 2e-3;

    @Test
    void tileMatchesScalarReferenceAtOddSizes() {
        SplittableRandom r = new SplittableRandom(5);
        for (int rows : new int[] {1, 3, 4, 5, 9, 16}) {
            for (int cols : new int[] {1, 15, 16, 17, 33, 300}) {
                for (int batch : new int[] {1, 2, 3, 4, 7}) {
                    float[] t = gauss(r, rows * cols);
                    float[] x = gauss(r, batch * cols);
                    float[] a = new float[batch * (rows + 3)];
                    float[] b = new float[batch * (rows + 3)];
                    Gemm.tile(t, rows, cols, x, batch, a, rows + 3, 2);
                    Gemm.reference(t, rows, cols, x, batch, b, rows + 3, 2);
                    assertClose(b, a, "rows " + rows + " cols " + cols + " batch " + batch);
                }
            }
        }
    }

    @Test
    void matmulGemmPathEqualsRowDots() {
        SplittableRandom r = new SplittableRandom(6);
        int rows = 37;
        int cols = 64;
        float[] wf = gauss(r, rows * cols);
        MemorySegment w = MemorySegment.ofArray(wf);
        WeightFormat f = Formats.of(GgmlType.F32);
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int batch : new int[] {1, 2, 4, 5, 11}) {
                float[] x = gauss(r, batch * cols);
                float[] out = new float[batch * rows];
                MatMul.matmul(pool, f, w, 0, rows, cols, x, batch, out);
                float[] expected = new float[batch * rows];
                for (int b = 0; b < batch; b++) {
                    for (int i = 0; i < rows; i++) {
                        expected[b * rows + i] = Formats.reference(GgmlType.F32).dot(w, 4L * i * cols, x, b * cols, cols);
                    }
                }
                assertClose(expected, out, "batch " + batch);
            }
        }
    }

    static float[] gauss(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static void assertClose(float[] expected, float[] got, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - got[i]) > ABS_TOL) {
                throw new AssertionError(what + ": index " + i + " expected " + expected[i] + " got " + got[i]);
            }
        }
    }
}
