package dev.smelt.compress.gptq;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** UᵀU = A⁻¹ at odd sizes, and indefinite input is reported as null. */
class CholeskyTest {
    static final double TOL = 1e-9;

    @Test
    void upperOfInverseTimesMatrixIsIdentity() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n : new int[] {1, 3, 7, 33}) {
            double[] b = new double[n * n];
            for (int i = 0; i < b.length; i++) {
                b[i] = rnd.nextGaussian();
            }
            double[] a = new double[n * n]; // BBᵀ + I: positive definite
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = i == j ? 1 : 0;
                    for (int k = 0; k < n; k++) {
                        s += b[i * n + k] * b[j * n + k];
                    }
                    a[i * n + j] = s;
                }
            }
            double[] u = Cholesky.upperOfInverse(a, n);
            assertThat(u).isNotNull();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < i; j++) {
                    assertThat(u[i * n + j]).as("n=%d U[%d,%d] below the diagonal", n, i, j).isZero();
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0; // (A · UᵀU)[i][j]
                    for (int k = 0; k < n; k++) {
                        double inv = 0;
                        for (int m = 0; m < n; m++) {
                            inv += u[m * n + k] * u[m * n + j];
                        }
                        s += a[i * n + k] * inv;
                    }
                    assertThat(s).as("n=%d (A·A⁻¹)[%d,%d]", n, i, j).isCloseTo(i == j ? 1 : 0, org.assertj.core.data.Offset.offset(TOL * n));
                }
            }
        }
    }

    @Test
    void indefiniteMatrixGivesNull() {
        assertThat(Cholesky.upperOfInverse(new double[] {1, 2, 2, 1}, 2)).isNull();
    }
}
