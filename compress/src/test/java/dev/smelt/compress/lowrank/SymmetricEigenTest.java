package dev.smelt.compress.lowrank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {
    /** Eigenvalues vs the Jacobi oracle, relative to the largest |λ|. */
    static final double VALUE_TOL = 1e-12;
    /** ‖A·z − λ·z‖∞ relative to the largest |λ|, and |zᵢ·zⱼ − δᵢⱼ|. */
    static final double VECTOR_TOL = 1e-10;

    static double[] randomSymmetric(int n, long seed) {
        Random r = new Random(seed);
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i * n + j] = a[j * n + i] = r.nextGaussian();
            }
        }
        return a;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 31, 64, 97})
    void matchesTheJacobiOracleAndSatisfiesAzEqualsLambdaZ(int n) {
        double[] a = randomSymmetric(n, n);
        SymmetricEigen.Result r = SymmetricEigen.of(a, n);
        double[] g = a.clone();
        double[] vt = new double[n * n];
        for (int i = 0; i < n; i++) {
            vt[i * n + i] = 1;
        }
        JacobiEigen.jacobi(g, vt, n);
        double[] want = new double[n];
        for (int i = 0; i < n; i++) {
            want[i] = g[i * n + i];
        }
        Arrays.sort(want);
        double scale = Math.max(Math.abs(want[0]), Math.abs(want[n - 1]));
        for (int i = 0; i < n; i++) {
            assertThat(r.values()[i]).as("eigenvalue %d of %d", i, n).isCloseTo(want[n - 1 - i], within(VALUE_TOL * scale));
        }
        assertEigenpairs(a, r, n, scale);
    }

    /** diag(5, −2, 5, 0) has a repeated and a zero eigenvalue; a 2×2 [[2, 1], [1, 2]] has 3 and 1. */
    @Test
    void handBuiltMatrices() {
        double[] d = {5, 0, 0, 0, 0, -2, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0};
        SymmetricEigen.Result r = SymmetricEigen.of(d, 4);
        assertThat(r.values()).containsExactly(new double[] {5, 5, 0, -2}, within(1e-15));
        assertEigenpairs(d, r, 4, 5);
        SymmetricEigen.Result t = SymmetricEigen.of(new double[] {2, 1, 1, 2}, 2);
        assertThat(t.values()).containsExactly(new double[] {3, 1}, within(1e-15));
        SymmetricEigen.Result z = SymmetricEigen.of(new double[9], 3);
        assertThat(z.values()).containsExactly(0, 0, 0);
    }

    static void assertEigenpairs(double[] a, SymmetricEigen.Result r, int n, double scale) {
        for (int i = 0; i < n; i++) {
            for (int row = 0; row < n; row++) {
                double az = 0;
                for (int j = 0; j < n; j++) {
                    az += a[row * n + j] * r.vectors()[i * n + j];
                }
                double diff = az - r.values()[i] * r.vectors()[i * n + row];
                assertThat(Math.abs(diff)).as("(A z - λ z)[%d] for eigenpair %d", row, i).isLessThan(VECTOR_TOL * Math.max(1, scale));
            }
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int k = 0; k < n; k++) {
                    dot += r.vectors()[i * n + k] * r.vectors()[j * n + k];
                }
                assertThat(dot).as("z%d · z%d", i, j).isCloseTo(i == j ? 1 : 0, within(VECTOR_TOL));
            }
        }
    }
}
