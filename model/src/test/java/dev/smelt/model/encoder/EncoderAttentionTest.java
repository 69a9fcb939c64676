package dev.smelt.model.encoder;

import dev.smelt.testkit.Tolerances;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Vector API attention head against its double-precision scalar oracle, at odd lengths and head sizes. */
class EncoderAttentionTest {
    /** Float accumulation and lane-wise EXP vs double: outputs are weighted means of O(1) values. */
    static final double ABS_TOL = 2e-6;
    /** Float rounding grows with the number of keys summed (n = 512: ~4e-6 observed). */
    static final double ABS_TOL_PER_KEY = 1e-8;
    static final double REL_TOL = 1e-5;

    @ParameterizedTest(name = "n={0} d={1}")
    @CsvSource({"1, 32", "2, 32", "3, 32", "5, 8", "14, 32", "15, 32", "16, 32", "17, 32", "31, 20", "33, 64",
            "47, 7", "100, 32", "129, 24", "512, 32"})
    void matchesScalarOracle(int n, int d) {
        Random rnd = new Random(7L * n + d);
        int heads = 3;
        int stride = heads * d + 5;   // room before and after the head's columns
        int t0 = 2;                   // the sequence starts after other packed tokens
        int tokens = t0 + n + 3;
        float[] q = random(rnd, tokens * stride, 2f);
        float[] k = random(rnd, tokens * stride, 2f);
        float[] v = random(rnd, tokens * stride, 1f);
        float scale = (float) (1 / Math.sqrt(d));
        for (int h = 0; h < heads; h++) {
            int off = 1 + h * d;
            float[] want = new float[tokens * stride];
            float[] got = new float[tokens * stride];
            Arrays.fill(want, 42f);
            Arrays.fill(got, 42f); // untouched cells must stay as they were
            EncoderAttention.headReference(q, k, v, want, stride, off, t0, n, d, scale);
            EncoderAttention.head(q, k, v, got, stride, off, t0, n, d, scale);
            Tolerances.assertClose("attention n=" + n + " d=" + d + " head " + h, want, got, ABS_TOL + n * ABS_TOL_PER_KEY, REL_TOL);
        }
    }

    private static float[] random(Random rnd, int n, float amp) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * amp);
        }
        return a;
    }
}
