package dev.smelt.model.classify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Mahalanobis out-of-scope score: its matrix inverse, its ordering of near and far points, its file. */
class DistanceScoreTest {
    /** Largest |(A·A⁻¹ − I)ᵢⱼ| accepted for a well-conditioned matrix in double precision. */
    static final double INVERSE_TOLERANCE = 1e-9;
    /** Relative difference allowed between the expanded distance and the definition (cancellation in xᵀPx − 2μᵀPx). */
    static final double EXPANSION_TOLERANCE = 1e-6;

    @Test
    void choleskyInverseTimesTheMatrixIsTheIdentityAtAnOddSize() {
        int d = 7;
        SplittableRandom r = new SplittableRandom(3);
        double[] b = new double[d * d];
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextDouble(-1, 1);
        }
        double[] a = new double[d * d]; // B·Bᵀ + I: symmetric positive definite
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = i == j ? 1 : 0;
                for (int k = 0; k < d; k++) {
                    s += b[i * d + k] * b[j * d + k];
                }
                a[i * d + j] = s;
            }
        }
        double[] inv = DistanceScore.invertSpd(a, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += a[i * d + k] * inv[k * d + j];
                }
                double want = i == j ? 1 : 0;
                assertThat(Math.abs(s - want)).as("(A·A⁻¹)[%d,%d] = %s, want %s", i, j, s, want).isLessThan(INVERSE_TOLERANCE);
            }
        }
    }

    @Test
    void pointsFarFromEveryClassGetLowConfidenceAndTheFileRoundTrips(@TempDir Path dir) throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        int d = 5;
        int n = 200;
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) ((j == y[i] ? 3 : 0) + 0.3 * r.nextGaussian());
            }
        }
        DistanceScore s = DistanceScore.fit(x, y, 2, null);
        float[] near = {3, 0, 0, 0, 0};
        float[] far = {0, 0, 0, 0, 3};
        assertThat(s.distance(near)).isLessThan(s.distance(far));
        for (float[] p : new float[][] {near, far, x[0], x[17], {1, -2, 0.5f, 0, 7}}) {
            double ref = s.distanceReference(p);
            assertThat(s.distance(p)).as("expanded form vs one class at a time at %s", java.util.Arrays.toString(p))
                    .isCloseTo(ref, org.assertj.core.api.Assertions.within(EXPANSION_TOLERANCE * (1 + ref)));
        }
        assertThat(s.confidence(near)).isGreaterThan(0.5);
        assertThat(s.confidence(far)).isLessThan(0.01);
        s.save(dir);
        DistanceScore back = DistanceScore.load(dir);
        assertThat(back.confidence(far)).isEqualTo(s.confidence(far));
        assertThat(back.distance(near)).isCloseTo(s.distance(near), org.assertj.core.api.Assertions.within(1e-4 * (1 + s.distance(near))));
        assertThat(DistanceScore.load(dir.resolve("none"))).isNull();
    }

    @Test
    void fewerExamplesThanDimensionsStillInvert() {
        int d = 16;
        float[][] x = new float[6][d];
        int[] y = {0, 0, 0, 1, 1, 1};
        SplittableRandom r = new SplittableRandom(9);
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        DistanceScore s = DistanceScore.fit(x, y, 2, null);
        assertThat(s.distance(x[0])).isFinite().isNotNegative();
    }
}
