package dev.smelt.compress.quant;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The scalar helpers whose rounding decides byte-exactness. */
class QuantMathTest {

    @Test
    void nearestIntRoundsHalfToEven() {
        assertThat(QuantMath.nearestInt(2.5f)).isEqualTo(2);
        assertThat(QuantMath.nearestInt(3.5f)).isEqualTo(4);
        assertThat(QuantMath.nearestInt(-2.5f)).isEqualTo(-2);
        assertThat(QuantMath.nearestInt(-0.5f)).isEqualTo(0);
        assertThat(QuantMath.nearestInt(0.49999997f)).isEqualTo(0);
        assertThat(QuantMath.nearestInt(-7.6f)).isEqualTo(-8);
        Random r = new Random(1);
        for (int i = 0; i < 100_000; i++) {
            float x = (r.nextFloat() - 0.5f) * 1000;
            assertThat(QuantMath.nearestInt(x)).as("x = %s", x).isEqualTo((int) Math.rint(x));
        }
    }

    @Test
    void roundfRoundsHalfAwayFromZero() {
        assertThat(Q8_0Quantizer.roundf(2.5f)).isEqualTo(3);
        assertThat(Q8_0Quantizer.roundf(-2.5f)).isEqualTo(-3);
        assertThat(Q8_0Quantizer.roundf(0.49999997f)).isEqualTo(0);
        assertThat(Q8_0Quantizer.roundf(-0.49999997f)).isEqualTo(0);
        assertThat(Q8_0Quantizer.roundf(126.5f)).isEqualTo(127);
    }

    @Test
    void bestIndexInt8IsTheNearestTableEntryWithTiesUp() {
        byte[] v = NonLinear4.VALUES;
        Random r = new Random(2);
        for (int i = 0; i < 100_000; i++) {
            float x = (r.nextFloat() - 0.5f) * 300;
            int best = 0;
            for (int k = 1; k < v.length; k++) {
                // brute force: strictly nearer wins, an exact tie goes to the upper entry
                if (Math.abs(x - v[k]) <= Math.abs(x - v[best])) {
                    best = k;
                }
            }
            assertThat(QuantMath.bestIndexInt8(16, v, x)).as("x = %s", x).isEqualTo(best);
            assertThat(NonLinear4.bestIndex(x)).as("unrolled, x = %s", x).isEqualTo(best);
        }
        assertThat(QuantMath.bestIndexInt8(16, v, (-10 + 1) / 2f)).as("midpoint of -10 and 1").isEqualTo(8);
        assertThat(QuantMath.bestIndexInt8(16, v, -1000)).isZero();
        assertThat(QuantMath.bestIndexInt8(16, v, 1000)).isEqualTo(15);
    }

    @Test
    void bf16RoundsToNearestEvenAndQuietsNan() {
        assertThat(BF16Quantizer.toBf16(1.0f)).isEqualTo(0x3F80);
        // 1 + 2^-8 is exactly half-way between two bf16 values: ties to the even one (1.0)
        assertThat(BF16Quantizer.toBf16(Float.intBitsToFloat(0x3F808000))).isEqualTo(0x3F80);
        assertThat(BF16Quantizer.toBf16(Float.intBitsToFloat(0x3F818000))).isEqualTo(0x3F82);
        assertThat(BF16Quantizer.toBf16(Float.intBitsToFloat(0x3F808001))).isEqualTo(0x3F81);
        assertThat(BF16Quantizer.toBf16(Float.intBitsToFloat(0x7F800001))).isEqualTo(0x7FC0);
        assertThat(BF16Quantizer.toBf16(Float.intBitsToFloat(0xFF800001))).isEqualTo(0xFFC0);
        assertThat(BF16Quantizer.toBf16(Float.POSITIVE_INFINITY)).isEqualTo(0x7F80);
        assertThat(BF16Quantizer.toBf16(Float.MAX_VALUE)).as("overflows to inf").isEqualTo(0x7F80);
        assertThat(BF16Quantizer.toBf16(-0.0f)).isEqualTo(0x8000);
    }

    @Test
    void makeQxQuantsFindsALeastSquaresScale() {
        float[] x = {0.1f, -0.5f, 0.25f, 0.9f, -0.75f, 0.3f, 0f, -0.05f, 0.6f, -0.2f, 0.45f, 0.8f, -0.9f, 0.15f, -0.35f, 0.7f};
        byte[] L = new byte[16];
        float d = QuantMath.makeQxQuants(16, 4, x, 0, L, 0, 1, null, 0);
        double err = 0;
        double naive = 0;
        float dNaive = 0.9f / 4;
        for (int i = 0; i < 16; i++) {
            assertThat(L[i]).isBetween((byte) 0, (byte) 7);
            double w = x[i] * x[i];
            err += w * Math.pow(x[i] - d * (L[i] - 4), 2);
            naive += w * Math.pow(x[i] - dNaive * Math.max(-4, Math.min(3, Math.round(x[i] / dNaive))), 2);
        }
        assertThat(err).isLessThanOrEqualTo(naive);
        byte[] zeros = new byte[16];
        assertThat(QuantMath.makeQxQuants(16, 4, new float[16], 0, zeros, 0, 1, null, 0)).isZero();
    }
}
