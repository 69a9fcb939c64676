package dev.smelt.compress.gptq;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** XᵀX equals the naive sum, weights reading the same input share it, and the budget keeps only diagonals. */
class HessianCollectorTest {
    static final double TOL = 1e-4;

    @Test
    void accumulatesXtXAndSharesEqualInputs() {
        int cols = 13;
        SplittableRandom rnd = new SplittableRandom(3);
        HessianCollector c = new HessianCollector(1 << 20);
        double[] naive = new double[cols * cols];
        for (int step = 0; step < 3; step++) {
            int batch = 5 + step;
            float[] x = new float[batch * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] other = x.clone();
            other[0] += 1;
            c.onMatmul("q", x, batch, cols);
            c.onMatmul("k", x.clone(), batch, cols); // same values, another array: shares q's statistics
            c.onMatmul("o", other, batch, cols);
            for (int t = 0; t < batch; t++) {
                for (int a = 0; a < cols; a++) {
                    for (int b = 0; b < cols; b++) {
                        naive[a * cols + b] += (double) x[t * cols + a] * x[t * cols + b];
                    }
                }
            }
        }
        assertThat(c.forWeight("k")).isSameAs(c.forWeight("q"));
        assertThat(c.forWeight("o")).isNotSameAs(c.forWeight("q"));
        HessianCollector.Stats s = c.forWeight("q");
        assertThat(s.tokens()).isEqualTo(5 + 6 + 7);
        double[] h = s.hessian();
        for (int i = 0; i < naive.length; i++) {
            assertThat(h[i]).as("H[%d,%d]", i / cols, i % cols).isCloseTo(naive[i], org.assertj.core.data.Offset.offset(TOL));
        }
        for (int j = 0; j < cols; j++) {
            assertThat((double) s.meanSquare()[j]).isCloseTo(naive[j * cols + j] / 18, org.assertj.core.data.Offset.offset(TOL));
        }
    }

    @Test
    void pastTheBudgetOnlyTheDiagonalIsKept() {
        HessianCollector c = new HessianCollector(8L * 4 * 4);
        c.onMatmul("a", new float[] {1, 2, 3, 4}, 1, 4);
        c.onMatmul("b", new float[] {1, 2, 3, 5}, 1, 4);
        assertThat(c.forWeight("a").hessian()).isNotNull();
        assertThat(c.forWeight("b").hessian()).isNull();
        assertThat(c.diagonalOnly()).isEqualTo(1);
        assertThat(c.forWeight("b").hessianOrDiagonal()[15]).isEqualTo(25.0);
    }
}
