package dev.smelt.tensor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** {@link FastExp} against {@link Math#exp}, and its vector lanes against its scalar form bit for bit. */
class FastExpTest {
    @Test
    void closeToMathExpOverTheClampedRange() {
        double worst = 0;
        float worstAt = 0;
        for (float x = FastExp.LO; x <= FastExp.HI; x += 0.000731f) {
            double ref = Math.exp(x);
            double rel = Math.abs(FastExp.exp(x) - ref) / ref;
            if (rel > worst) {
                worst = rel;
                worstAt = x;
            }
        }
        assertThat(worst).as("max relative error, at x = %s", worstAt).isLessThanOrEqualTo(FastExp.MAX_REL_ERROR);
        assertThat(FastExp.exp(0f)).isEqualTo(1f);
        assertThat(FastExp.exp(-1000f)).isEqualTo(FastExp.exp(FastExp.LO)).isPositive();
        assertThat(FastExp.exp(1000f)).isEqualTo(FastExp.exp(FastExp.HI)).isFinite();
    }

    @Test
    void vectorLanesEqualScalarForm() {
        var species = FloatVector.SPECIES_PREFERRED;
        Random r = new Random(3);
        float[] x = new float[species.length() * 200];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 30);
        }
        float[] v = new float[x.length];
        for (int i = 0; i < x.length; i += species.length()) {
            FastExp.exp(FloatVector.fromArray(species, x, i)).intoArray(v, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertThat(v[i]).as("lane value at %d (x = %s)", i, x[i]).isEqualTo(FastExp.exp(x[i]));
        }
    }

    @Test
    void expOrZeroIsExactlyZeroBelowTheRangeAndExpWithin() {
        var species = FloatVector.SPECIES_PREFERRED;
        float[] x = new float[species.length()];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 4) {
                case 0 -> Float.NEGATIVE_INFINITY;
                case 1 -> FastExp.LO - 0.5f;
                case 2 -> FastExp.LO;
                default -> -i * 0.37f;
            };
        }
        float[] v = new float[x.length];
        FastExp.expOrZero(FloatVector.fromArray(species, x, 0)).intoArray(v, 0);
        for (int i = 0; i < x.length; i++) {
            float expected = x[i] < FastExp.LO ? 0f : FastExp.exp(x[i]);
            assertThat(v[i]).as("lane %d (x = %s)", i, x[i]).isEqualTo(expected).isEqualTo(FastExp.expOrZero(x[i]));
        }
        assertThat(FastExp.expOrZero(Float.NEGATIVE_INFINITY)).isZero();
        assertThat(FastExp.expOrZero(FastExp.LO)).isPositive();
    }

    @Test
    void softmaxSumsToOneAtOddLengths() {
        Random r = new Random(5);
        for (int n : new int[] {1, 7, 16, 33, 1001}) {
            float[] x = new float[n + 3];
            double[] ref = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                x[i + 3] = (float) (r.nextGaussian() * 5);
                max = Math.max(max, x[i + 3]);
            }
            double s = 0;
            for (int i = 0; i < n; i++) {
                ref[i] = Math.exp(x[i + 3] - max);
                s += ref[i];
            }
            FastExp.softmax(x, 3, n);
            for (int i = 0; i < n; i++) {
                assertThat(x[i + 3]).as("softmax[%d] of %d", i, n).isCloseTo((float) (ref[i] / s), org.assertj.core.data.Offset.offset(1e-6f));
            }
        }
    }
}
