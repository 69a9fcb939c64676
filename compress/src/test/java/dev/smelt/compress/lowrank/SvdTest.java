package dev.smelt.compress.lowrank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SvdTest {
    /** Reconstruction of an exactly low-rank matrix, relative to its largest entry. */
    static final double RECONSTRUCTION_TOL = 1e-6;
    /** Known singular values of hand-built matrices. */
    static final double VALUE_TOL = 1e-12;

    /** [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]], eigenvalues 45 and 5. */
    @Test
    void singularValuesOfAHandBuiltMatrix() {
        Svd.Result r = Svd.of(new double[] {3, 0, 4, 5}, 2, 2);
        assertThat(r.s()[0]).isCloseTo(3 * Math.sqrt(5), within(VALUE_TOL));
        assertThat(r.s()[1]).isCloseTo(Math.sqrt(5), within(VALUE_TOL));
    }

    /** A diagonal matrix with its rows shuffled and a zero column: σ = sorted |diagonal|, the rest 0. */
    @Test
    void singularValuesOfAPermutedDiagonalWide() {
        double[] a = {
            0, 0, -7, 0, 0,
            2, 0, 0, 0, 0,
            0, 0.5, 0, 0, 0,
        };
        Svd.Result r = Svd.of(a, 3, 5);
        assertThat(r.k()).isEqualTo(3);
        assertThat(r.s()).containsExactly(new double[] {7, 2, 0.5}, within(VALUE_TOL));
        assertReconstructs(a, r, 3, 5, 3, VALUE_TOL);
    }

    @ParameterizedTest
    @CsvSource({"40, 30, 5", "17, 53, 4", "64, 64, 1", "9, 9, 9"})
    void randomLowRankMatrixIsReconstructedFromItsTopSingularTriplets(int m, int n, int rank) {
        Random rnd = new Random(42 + m + n);
        double[] x = new double[m * rank];
        double[] y = new double[rank * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextGaussian();
        }
        double[] a = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < rank; k++) {
                    a[i * n + j] += x[i * rank + k] * y[k * n + j];
                }
            }
        }
        Svd.Result r = Svd.of(a, m, n);
        for (int i = 1; i < r.k(); i++) {
            assertThat(r.s()[i]).as("descending at %d", i).isLessThanOrEqualTo(r.s()[i - 1]);
        }
        if (rank < r.k()) {
            assertThat(r.s()[rank]).as("first σ past the rank").isLessThan(1e-6 * r.s()[0]);
        }
        assertReconstructs(a, r, m, n, rank, RECONSTRUCTION_TOL);
        // the kept singular vectors are orthonormal
        for (int p = 0; p < rank; p++) {
            for (int q = 0; q < rank; q++) {
                double du = 0;
                double dv = 0;
                for (int i = 0; i < m; i++) {
                    du += r.u()[i * r.r() + p] * r.u()[i * r.r() + q];
                }
                for (int j = 0; j < n; j++) {
                    dv += r.v()[j * r.r() + p] * r.v()[j * r.r() + q];
                }
                assertThat(du).as("uᵀu[%d,%d]", p, q).isCloseTo(p == q ? 1 : 0, within(1e-9));
                assertThat(dv).as("vᵀv[%d,%d]", p, q).isCloseTo(p == q ? 1 : 0, within(1e-9));
            }
        }
    }

    static void assertReconstructs(double[] a, Svd.Result r, int m, int n, int rank, double tol) {
        double max = 0;
        for (double v : a) {
            max = Math.max(max, Math.abs(v));
        }
        double worst = 0;
        int at = -1;
        double got = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < rank; k++) {
                    s += r.u()[i * r.r() + k] * r.s()[k] * r.v()[j * r.r() + k];
                }
                double d = Math.abs(s - a[i * n + j]);
                if (d > worst) {
                    worst = d;
                    at = i * n + j;
                    got = s;
                }
            }
        }
        assertThat(worst / max).as("max relative error at index %d: want %s got %s", at, at < 0 ? 0 : a[at], got).isLessThan(tol);
    }

    @Test
    void rejectsShapeMismatch() {
        assertThatThrownBy(() -> Svd.of(new double[5], 2, 3)).hasMessageContaining("[2, 3]").hasMessageContaining("5 values");
    }
}
