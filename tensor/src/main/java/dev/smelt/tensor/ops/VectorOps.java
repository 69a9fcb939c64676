package dev.smelt.tensor.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dense float vector primitives used by attention and normalization (Vector API), each with a
 * scalar twin in {@link ScalarOps} that is its test oracle. Stateless, thread-safe.
 */
public final class VectorOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorOps() {
    }

    /** Σ a[aOff+i]·b[bOff+i], i in [0, n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** y[yOff+i] += alpha·x[xOff+i]. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /** Σ x[off+i]², accumulated in float lanes. */
    public static float sumSquares(float[] x, int off, int n) {
        return dot(x, off, x, off, n);
    }

    /** max of x[off+i], i in [0, n); −∞ for n = 0. */
    public static float max(float[] x, int off, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += S.length()) {
            m = m.max(FloatVector.fromArray(S, x, off + i));
        }
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            r = Math.max(r, x[off + i]);
        }
        return r;
    }

    /**
     * dst[dOff+i] = exp((x[off+i] − shift)·scale) (−∞ inputs give 0), and returns their sum in double:
     * the softmax numerators of a whole vocabulary in one vectorized pass ({@link FastExp}: a few ulp of
     * {@link Math#exp}, and the same bits in every JIT tier, so a seeded sample does not change once C2
     * compiles this). scale must be positive and finite.
     */
    public static double expShifted(float[] x, int off, int n, float shift, float scale, float[] dst, int dOff) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector vs = FloatVector.broadcast(S, shift);
        FloatVector vk = FloatVector.broadcast(S, scale);
        double sum = 0;
        for (; i < bound; i += S.length()) {
            FloatVector e = FastExp.expOrZero(FloatVector.fromArray(S, x, off + i).sub(vs).mul(vk));
            e.intoArray(dst, dOff + i);
            sum += e.reduceLanes(VectorOperators.ADD); // per vector into double: no float drift over 150k terms
        }
        for (; i < n; i++) {
            float e = FastExp.expOrZero((x[off + i] - shift) * scale);
            dst[dOff + i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * out[oOff+i] = silu(gate[gOff+i])·up[uOff+i] with silu(g) = g / (1 + e^−g): the SwiGLU of a
     * feed-forward block, vectorized because a prompt chunk has hundreds of thousands of elements per
     * layer and a scalar exp each made it a visible serial phase between the parallel matmuls.
     * out may alias gate or up.
     */
    public static void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int oOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, gOff + i);
            FloatVector sig = FastExp.exp(g.neg()).add(1f);
            g.div(sig).mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(out, oOff + i);
        }
        for (; i < n; i++) {
            float g = gate[gOff + i];
            out[oOff + i] = g / (1.0f + FastExp.exp(-g)) * up[uOff + i];
        }
    }
}
