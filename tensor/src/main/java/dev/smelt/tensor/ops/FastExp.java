package dev.smelt.tensor.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x in float for the trainer's softmaxes, SiLU gradient and the encoder's GELU, vectorized and deterministic: only IEEE
 * add, multiply, fma, min/max and exact integer conversions, so the Vector API lanes, the scalar tail and
 * every JIT tier give the same bits (the Vector API's own EXP may differ between interpreted and compiled
 * code, which exact resume cannot allow; scalar {@link Math#exp} costs ~20× more per value).
 *
 * <p>Method (Cephes expf): k = round(x·log2 e) by the 1.5·2²³ trick, r = x − k·ln 2 in two fma steps
 * (Cody–Waite), e^r by a degree-6 polynomial, times 2^k built from the exponent bits. Inputs are clamped
 * to [{@link #LO}, {@link #HI}], so the result is never 0 or ∞ (below LO it is e^LO ≈ 1.6e-38, far under any
 * softmax sum's ulp). Relative error ≤ {@link #MAX_REL_ERROR} against {@link Math#exp}.
 * Stateless, thread-safe.
 */
public final class FastExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    public static final float LO = -87f;
    public static final float HI = 88f;
    /** Measured bound (tested): a few float ulp. */
    public static final double MAX_REL_ERROR = 4e-7;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND = 12582912f; // 1.5·2²³: x + ROUND − ROUND rounds x to an integer
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private FastExp() {
    }

    /** e^x, the scalar form of exactly the vector arithmetic. */
    public static float exp(float x) {
        float v = Math.min(Math.max(x, LO), HI);
        float k = (v * LOG2E + ROUND) - ROUND;
        float r = Math.fma(k, -LN2_HI, v);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat(((int) k + 127) << 23);
    }

    /** e^x lane-wise; x must be of {@link FloatVector#SPECIES_PREFERRED}. */
    public static FloatVector exp(FloatVector x) {
        FloatVector v = x.max(LO).min(HI);
        FloatVector k = v.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), v);
        r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, P0).fma(r, FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) k.convertShape(VectorOperators.F2I, I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats());
    }

    /**
     * e^x, but exactly 0 below {@link #LO} (−∞ included): for inference softmaxes, where a masked logit
     * (−∞) must get probability exactly 0.
     */
    public static float expOrZero(float x) {
        return x < LO ? 0f : exp(x);
    }

    /** {@link #expOrZero(float)} lane-wise; x must be of {@link FloatVector#SPECIES_PREFERRED}. */
    public static FloatVector expOrZero(FloatVector x) {
        return exp(x).blend(0f, x.compare(VectorOperators.LT, LO));
    }

    /**
     * Softmax of x[off, off + n) in place, as {@code Nn.softmax} defines it (max subtracted, sum of the
     * float exponentials in double, then one multiply by the reciprocal), with this exp.
     *
     * @return the double sum of the exponentials (for a log-sum-exp)
     */
    public static double softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = expShifted(x, off, n, max);
        float inv = (float) (1.0 / sum);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, off + i).mul(inv).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= inv;
        }
        return sum;
    }

    /** x[i] = e^(x[i] − shift) over [off, off + n); returns their sum, added in index order in double. */
    public static double expShifted(float[] x, int off, int n, float shift) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            exp(FloatVector.fromArray(F, x, off + i).sub(shift)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = exp(x[off + i] - shift);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += x[off + j];
        }
        return sum;
    }
}
