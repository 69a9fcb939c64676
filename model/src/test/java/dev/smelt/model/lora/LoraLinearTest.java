package dev.smelt.model.lora;

import dev.smelt.model.Linear;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.Tolerances;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LoraLinearTest {
    /** Vector FMA vs scalar summation order over ≤ 37 terms of O(1) values. */
    private static final double TOL = 1e-5;

    /** A dense base over a float array: out = W·x, scalar. */
    record Dense(String name, int rows, int cols, float[] w) implements Linear {
        @Override
        public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    float s = 0;
                    for (int c = 0; c < cols; c++) {
                        s += w[r * cols + c] * x[b * cols + c];
                    }
                    out[b * rows + r] = s;
                }
            }
        }
    }

    @Test
    void matchesTheMergedDenseMatrixAtOddSizes() {
        Random rnd = new Random(7);
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int batch : new int[] {1, 3, 5, 13, 31, 1201}) { // 1201 rows: enough work to split between threads
                int rows = 29;
                int cols = 37;
                float[] w = LoraFixtures.gaussian(rnd, rows * cols, 1f);
                LoraLinear.Delta whole = new LoraLinear.Delta(0, rows, cols, 3, LoraFixtures.gaussian(rnd, 3 * cols, 1f),
                        LoraFixtures.gaussian(rnd, rows * 3, 1f), 0.7f);
                LoraLinear.Delta slice = new LoraLinear.Delta(11, 13, cols, 3, LoraFixtures.gaussian(rnd, 3 * cols, 1f),
                        LoraFixtures.gaussian(rnd, 13 * 3, 1f), -1.3f);
                LoraLinear l = new LoraLinear(new Dense("w", rows, cols, w), List.of(whole, slice));
                float[] merged = w.clone();
                LoraLinear.addTo(merged, cols, whole);
                LoraLinear.addTo(merged, cols, slice);
                float[] x = LoraFixtures.gaussian(rnd, batch * cols, 1f);
                float[] expected = new float[batch * rows];
                new Dense("m", rows, cols, merged).matmul(pool, x, batch, expected);
                float[] actual = new float[batch * rows];
                l.matmul(pool, x, batch, actual);
                Tolerances.assertClose("batch " + batch, expected, actual, TOL * 40, TOL);
            }
        }
    }

    @Test
    void vectorRowUpdateIsBitIdenticalToTheScalarOracleAtOddSizes() {
        Random rnd = new Random(3);
        for (int[] sh : new int[][] {{1, 1, 1}, {3, 17, 2}, {16, 33, 5}, {4, 7, 1}, {2, 100, 7}}) {
            int rank = sh[0];
            int rows = sh[1];
            int batch = sh[2];
            int stride = rows + 5;
            float[] bt = LoraFixtures.gaussian(rnd, rank * rows, 1f);
            float[] t = LoraFixtures.gaussian(rnd, batch * rank, 1f);
            float[] out = LoraFixtures.gaussian(rnd, batch * stride, 1f);
            float[] ref = out.clone();
            LoraLinear.addRows(bt, rank, rows, t, batch, out, stride, 3);
            LoraLinear.addRowsReference(bt, rank, rows, t, batch, ref, stride, 3);
            org.assertj.core.api.Assertions.assertThat(out).as("rank %d rows %d batch %d", rank, rows, batch).containsExactly(ref);
        }
    }
}
