package dev.smelt.model.encoder;

import dev.smelt.tensor.ops.FastExp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row operations of a BERT encoder: LayerNorm (mean and variance, as PyTorch computes it), exact
 * GELU through erf, bias add. Each Vector API routine has a scalar twin ({@code *Reference}) that the
 * tests compare it with at odd sizes. Stateless, thread-safe.
 */
public final class EncoderOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final double INV_SQRT2 = 0.7071067811865476;

    private EncoderOps() {
    }

    /** x[off..off+n) = (x − mean) / sqrt(var + eps) · w + b, in place; statistics in double. */
    public static void layerNorm(float[] x, int off, int n, float[] w, float[] b, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[off + i];
        }
        float mean = (float) (sum / n);
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double d = x[off + i] - mean;
            ss += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector vm = FloatVector.broadcast(S, mean);
        FloatVector vi = FloatVector.broadcast(S, inv);
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, off + i).sub(vm).mul(vi);
            v.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = (x[off + i] - mean) * inv * w[i] + b[i];
        }
    }

    /** Scalar oracle of {@link #layerNorm}. */
    public static void layerNormReference(float[] x, int off, int n, float[] w, float[] b, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[off + i];
        }
        double mean = sum / n;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (x[off + i] - mean) * (x[off + i] - mean);
        }
        double inv = 1.0 / Math.sqrt(ss / n + eps);
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) ((x[off + i] - mean) * inv * w[i] + b[i]);
        }
    }

    /** out row r = x row r + bias, for rows [0, rows) of width n, in place. */
    public static void addBias(float[] x, int rows, int n, float[] bias) {
        int bound = S.loopBound(n);
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            int i = 0;
            for (; i < bound; i += S.length()) {
                FloatVector.fromArray(S, x, o + i).add(FloatVector.fromArray(S, bias, i)).intoArray(x, o + i);
            }
            for (; i < n; i++) {
                x[o + i] += bias[i];
            }
        }
    }

    /** GELU as BERT defines it: x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (not the tanh approximation). */
    public static float gelu(float x) {
        return (float) (0.5 * x * (1.0 + erf(x * INV_SQRT2)));
    }

    /**
     * x[off..off+n) = gelu(x) in place, with the Vector API: the same erf fit as {@link #erf}, evaluated in
     * float lanes ({@link FastExp}), so it agrees with the scalar {@link #gelu(float)} to a few float ulps.
     */
    public static void gelu(float[] x, int off, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector half = FloatVector.broadcast(S, 0.5f);
        for (; i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            FloatVector u = v.mul((float) INV_SQRT2);
            FloatVector z = u.abs();
            FloatVector t = one.div(z.mul(0.5f).add(one));
            FloatVector p = FloatVector.broadcast(S, 0.17087277f);
            p = p.fma(t, FloatVector.broadcast(S, -0.82215223f));
            p = p.fma(t, FloatVector.broadcast(S, 1.48851587f));
            p = p.fma(t, FloatVector.broadcast(S, -1.13520398f));
            p = p.fma(t, FloatVector.broadcast(S, 0.27886807f));
            p = p.fma(t, FloatVector.broadcast(S, -0.18628806f));
            p = p.fma(t, FloatVector.broadcast(S, 0.09678418f));
            p = p.fma(t, FloatVector.broadcast(S, 0.37409196f));
            p = p.fma(t, FloatVector.broadcast(S, 1.00002368f));
            p = p.fma(t, FloatVector.broadcast(S, -1.26551223f));
            FloatVector r = t.mul(FastExp.exp(p.sub(z.mul(z)))); // erfc(|u|); FastExp: the same bits in every JIT tier
            FloatVector erfAbs = one.sub(r);
            FloatVector erf = erfAbs.blend(erfAbs.neg(), u.compare(VectorOperators.LT, 0f));
            v.mul(half).mul(erf.add(one)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = gelu(x[off + i]);
        }
    }

    /** Scalar oracle of {@link #gelu(float[], int, int)}. */
    public static void geluReference(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            x[off + i] = gelu(x[off + i]);
        }
    }

    /**
     * erf(x) to about 1.2e-7 relative error (Numerical Recipes' erfc Chebyshev fit, W. J. Cody's form), which
     * is below float32 resolution; Java has no Math.erf.
     */
    public static double erf(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1.0 - r : r - 1.0;
    }

    /** x[off..off+n) /= ‖x‖₂ (unchanged when the norm is 0). */
    public static void l2Normalize(float[] x) {
        double ss = 0;
        for (float v : x) {
            ss += (double) v * v;
        }
        if (ss == 0) {
            return;
        }
        float inv = (float) (1.0 / Math.sqrt(ss));
        for (int i = 0; i < x.length; i++) {
            x[i] *= inv;
        }
    }
}
