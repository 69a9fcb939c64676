package dev.smelt.model.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EncoderOpsTest {
    /** erf fit's documented bound (1.2e-7 relative on erfc) plus double rounding. */
    static final double ERF_TOL = 2e-7;
    /** Vector vs scalar float paths: a few ulps of values up to ~10. */
    static final double VECTOR_TOL = 1e-5;

    @Test
    void erfMatchesKnownValues() {
        // erf(x) from tables (Abramowitz & Stegun 7.1): x, erf(x)
        double[][] known = {{0, 0}, {0.1, 0.1124629160}, {0.5, 0.5204998778}, {1, 0.8427007929}, {1.5, 0.9661051465},
            {2, 0.9953222650}, {3, 0.9999779095}, {-0.5, -0.5204998778}, {-2, -0.9953222650}};
        for (double[] k : known) {
            assertThat(EncoderOps.erf(k[0])).as("erf(%s)", k[0]).isCloseTo(k[1], org.assertj.core.data.Offset.offset(ERF_TOL));
        }
    }

    @Test
    void vectorGeluAndLayerNormMatchScalarAtOddSizes() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : new int[] {1, 7, 16, 17, 33, 384, 1537}) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextDouble() * 12 - 6);
            }
            float[] a = x.clone();
            float[] b = x.clone();
            EncoderOps.gelu(a, 2, n);
            EncoderOps.geluReference(b, 2, n);
            assertClose(b, a, "gelu n=" + n);
            float[] w = new float[n];
            float[] bias = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = (float) r.nextDouble() + 0.5f;
                bias[i] = (float) r.nextDouble() - 0.5f;
            }
            a = x.clone();
            b = x.clone();
            EncoderOps.layerNorm(a, 3, n, w, bias, 1e-12f);
            EncoderOps.layerNormReference(b, 3, n, w, bias, 1e-12f);
            assertClose(b, a, "layerNorm n=" + n);
        }
    }

    @Test
    void geluIsExactErfForm() {
        // x·Φ(x) at a few points (Φ from erf tables): differs from the tanh approximation by ~1e-4 at x=1.
        assertThat(EncoderOps.gelu(1f)).isCloseTo(0.8413447f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(EncoderOps.gelu(-1f)).isCloseTo(-0.1586553f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(EncoderOps.gelu(0f)).isZero();
    }

    static void assertClose(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            assertThat(d).as("%s: index %d expected %s got %s (diff %s)", what, i, want[i], got[i], d).isLessThanOrEqualTo(VECTOR_TOL);
        }
    }
}
