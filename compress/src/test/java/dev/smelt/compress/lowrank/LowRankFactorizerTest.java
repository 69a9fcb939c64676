package dev.smelt.compress.lowrank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LowRankFactorizerTest {
    static final double FLOAT_TOL = 1e-5;

    static float[] lowRank(int rows, int cols, int rank, long seed) {
        Random r = new Random(seed);
        float[] w = new float[rows * cols];
        for (int k = 0; k < rank; k++) {
            float[] u = new float[rows];
            float[] v = new float[cols];
            for (int i = 0; i < rows; i++) {
                u[i] = (float) r.nextGaussian();
            }
            for (int j = 0; j < cols; j++) {
                v[j] = (float) r.nextGaussian();
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    w[i * cols + j] += u[i] * v[j];
                }
            }
        }
        return w;
    }

    @Test
    void exactRankIsRecoveredWithAndWithoutActivationScaling() {
        float[] w = lowRank(24, 40, 3, 7);
        float[] imp = new float[40];
        for (int j = 0; j < 40; j++) {
            imp[j] = 0.01f + j * j;
        }
        for (float[] im : new float[][] {null, imp}) {
            LowRankFactorizer.Factors f = LowRankFactorizer.factor(w, 24, 40, im, RankRule.ofRank(3));
            assertThat(f.a()).hasSize(3 * 40);
            assertThat(f.b()).hasSize(24 * 3);
            assertThat(f.energyKept()).isGreaterThan(1 - 1e-9);
            float[] back = f.reconstruct();
            for (int i = 0; i < w.length; i++) {
                assertThat(Math.abs(back[i] - w[i])).as("index %d: %s vs %s", i, back[i], w[i]).isLessThan((float) (FLOAT_TOL * 10));
            }
            LowRankFactorizer.Factors e = LowRankFactorizer.factor(w, 24, 40, im, RankRule.ofEnergy(0.999999));
            assertThat(e.rank()).isEqualTo(3);
        }
    }

    /** Column 0 carries all the activation: the scaled SVD must reproduce it better than plain SVD does. */
    @Test
    void activationScalingProtectsTheLoudInputs() {
        Random r = new Random(3);
        int rows = 16;
        int cols = 16;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        float[] imp = new float[cols];
        java.util.Arrays.fill(imp, 1e-4f);
        imp[0] = 100f;
        float[] plain = LowRankFactorizer.factor(w, rows, cols, null, RankRule.ofRank(2)).reconstruct();
        float[] asvd = LowRankFactorizer.factor(w, rows, cols, imp, RankRule.ofRank(2)).reconstruct();
        assertThat(weightedError(w, asvd, imp, rows, cols)).isLessThan(weightedError(w, plain, imp, rows, cols));
    }

    static double weightedError(float[] w, float[] x, float[] imp, int rows, int cols) {
        double e = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double d = w[i * cols + j] - x[i * cols + j];
                e += imp[j] * d * d;
            }
        }
        return e;
    }

    @Test
    void energyRuleAndBadArguments() {
        assertThat(RankRule.ofEnergy(0.5).choose(new double[] {2, 1, 1, 1})).isEqualTo(1); // 4 of 7
        assertThat(RankRule.ofEnergy(0.6).choose(new double[] {2, 1, 1, 1})).isEqualTo(2); // 5 of 7
        assertThat(RankRule.ofRank(9).choose(new double[] {2, 1})).isEqualTo(2);
        assertThatThrownBy(() -> RankRule.ofRank(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> RankRule.ofEnergy(1.5)).hasMessageContaining("got 1.5");
        assertThatThrownBy(() -> LowRankFactorizer.factor(new float[6], 2, 3, new float[2], RankRule.ofRank(1)))
                .hasMessageContaining("2 entries");
        assertThatThrownBy(() -> LowRankFactorizer.factor(new float[6], 2, 3, new float[] {1, Float.NaN, 1}, RankRule.ofRank(1)))
                .hasMessageContaining("column 1");
    }
}
