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
            for (int batch : new int[] {1, 3, 5, 13, 31}) { // 13 and 31 split rows across threads
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
}
