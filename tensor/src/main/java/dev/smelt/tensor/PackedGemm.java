package dev.smelt.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dense F32 matrix product out[t, j] = Σ_c x[t, c] · W[j, c] (+ bias[j]) for a weight matrix that is used many
 * times (encoder projections), with W repacked once into column panels so the inner loop streams it
 * contiguously and never reduces across lanes.
 *
 * <p>Packed layout: W [n, k] is cut into panels of {@link #NR} = 4 vectors of output columns; panel p holds,
 * for every input feature c in order, the NR weights W[p·NR + j, c] (j = 0..NR−1; columns past n are 0):
 * {@code packed[(p·k + c)·NR + j]}. The micro-kernel keeps a 4-row × 4-vector block of outputs in 16
 * registers and per input feature loads 4 weight vectors and broadcasts 4 activations: 16 FMAs per 8 loads,
 * no horizontal sums (the {@link Gemm} dot-product kernel needs 12 reductions per block).
 *
 * <p>{@link #reference} is the scalar oracle. Stateless, thread-safe.
 */
public final class PackedGemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Output columns per panel: four vectors. */
    public static final int NR = 4 * L;
    /** Activation rows per parallel task: balances 2–16 threads on a few hundred tokens. */
    private static final int ROWS_PER_TASK = 64;

    private PackedGemm() {
    }

    /** Panels needed for n output columns. */
    public static int panels(int n) {
        return (n + NR - 1) / NR;
    }

    /**
     * Packs W given row-major [n, k] (PyTorch's [out, in]).
     *
     * @param w [n, k]
     * @return [panels(n), k, NR]
     */
    public static float[] pack(float[] w, int n, int k) {
        check(w, (long) n * k, "w");
        float[] p = new float[panels(n) * k * NR];
        for (int j = 0; j < n; j++) {
            int panel = j / NR;
            int lane = j % NR;
            for (int c = 0; c < k; c++) {
                p[(panel * k + c) * NR + lane] = w[j * k + c];
            }
        }
        return p;
    }

    /**
     * Packs W given row-major [k, n] (ONNX MatMul's [in, out], x·W).
     *
     * @param w [k, n]
     */
    public static float[] packTransposed(float[] w, int k, int n) {
        check(w, (long) n * k, "w");
        float[] p = new float[panels(n) * k * NR];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < n; j++) {
                p[((j / NR) * k + c) * NR + j % NR] = w[c * n + j];
            }
        }
        return p;
    }

    private static void check(float[] a, long expected, String what) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " values, got " + (a == null ? "null" : a.length));
        }
    }

    /**
     * @param x      [rows, k] activations
     * @param packed from {@link #pack} of a [n, k] matrix
     * @param bias   [n] or null
     * @param out    [rows, n] (overwritten)
     */
    public static void multiply(ThreadPool pool, float[] x, int rows, int k, float[] packed, int n, float[] bias, float[] out) {
        if (x.length < (long) rows * k || out.length < (long) rows * n || packed.length != panels(n) * k * NR
                || bias != null && bias.length != n) {
            throw new IllegalArgumentException("shapes do not match: x " + x.length + " for [" + rows + ", " + k + "], out "
                    + out.length + " for [" + rows + ", " + n + "], packed " + packed.length + " (expected " + panels(n) * k * NR
                    + "), bias " + (bias == null ? "none" : bias.length));
        }
        int np = panels(n);
        int rowTasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        pool.parallelFor(np * rowTasks, task -> {
            int p = task % np;
            int r0 = (task / np) * ROWS_PER_TASK;
            int r1 = Math.min(rows, r0 + ROWS_PER_TASK);
            panel(x, k, packed, p, n, bias, out, r0, r1);
        });
    }

    private static void panel(float[] x, int k, float[] packed, int p, int n, float[] bias, float[] out, int r0, int r1) {
        int t = r0;
        for (; t + 4 <= r1; t += 4) {
            block4(x, k, packed, p, n, bias, out, t);
        }
        for (; t < r1; t++) {
            block1(x, k, packed, p, n, bias, out, t);
        }
    }

    private static FloatVector init(float[] bias, int col, int n) {
        if (bias == null) {
            return FloatVector.zero(F);
        }
        if (col + L <= n) {
            return FloatVector.fromArray(F, bias, col);
        }
        return FloatVector.fromArray(F, bias, col, F.indexInRange(col, n));
    }

    private static void store(FloatVector v, float[] out, int row, int col, int n) {
        if (col + L <= n) {
            v.intoArray(out, row * n + col);
        } else if (col < n) {
            VectorMask<Float> m = F.indexInRange(col, n);
            v.intoArray(out, row * n + col, m);
        }
    }

    private static void block4(float[] x, int k, float[] packed, int p, int n, float[] bias, float[] out, int t) {
        int c0 = p * NR;
        FloatVector b0 = init(bias, c0, n), b1 = init(bias, c0 + L, n), b2 = init(bias, c0 + 2 * L, n), b3 = init(bias, c0 + 3 * L, n);
        FloatVector a00 = b0, a01 = b1, a02 = b2, a03 = b3;
        FloatVector a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        FloatVector a20 = b0, a21 = b1, a22 = b2, a23 = b3;
        FloatVector a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        int x0 = t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        int wo = p * k * NR;
        for (int c = 0; c < k; c++, wo += NR) {
            FloatVector w0 = FloatVector.fromArray(F, packed, wo);
            FloatVector w1 = FloatVector.fromArray(F, packed, wo + L);
            FloatVector w2 = FloatVector.fromArray(F, packed, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, packed, wo + 3 * L);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a00 = w0.fma(v, a00);
            a01 = w1.fma(v, a01);
            a02 = w2.fma(v, a02);
            a03 = w3.fma(v, a03);
            v = FloatVector.broadcast(F, x[x1 + c]);
            a10 = w0.fma(v, a10);
            a11 = w1.fma(v, a11);
            a12 = w2.fma(v, a12);
            a13 = w3.fma(v, a13);
            v = FloatVector.broadcast(F, x[x2 + c]);
            a20 = w0.fma(v, a20);
            a21 = w1.fma(v, a21);
            a22 = w2.fma(v, a22);
            a23 = w3.fma(v, a23);
            v = FloatVector.broadcast(F, x[x3 + c]);
            a30 = w0.fma(v, a30);
            a31 = w1.fma(v, a31);
            a32 = w2.fma(v, a32);
            a33 = w3.fma(v, a33);
        }
        store(a00, out, t, c0, n);
        store(a01, out, t, c0 + L, n);
        store(a02, out, t, c0 + 2 * L, n);
        store(a03, out, t, c0 + 3 * L, n);
        store(a10, out, t + 1, c0, n);
        store(a11, out, t + 1, c0 + L, n);
        store(a12, out, t + 1, c0 + 2 * L, n);
        store(a13, out, t + 1, c0 + 3 * L, n);
        store(a20, out, t + 2, c0, n);
        store(a21, out, t + 2, c0 + L, n);
        store(a22, out, t + 2, c0 + 2 * L, n);
        store(a23, out, t + 2, c0 + 3 * L, n);
        store(a30, out, t + 3, c0, n);
        store(a31, out, t + 3, c0 + L, n);
        store(a32, out, t + 3, c0 + 2 * L, n);
        store(a33, out, t + 3, c0 + 3 * L, n);
    }

    private static void block1(float[] x, int k, float[] packed, int p, int n, float[] bias, float[] out, int t) {
        int c0 = p * NR;
        FloatVector a0 = init(bias, c0, n), a1 = init(bias, c0 + L, n), a2 = init(bias, c0 + 2 * L, n), a3 = init(bias, c0 + 3 * L, n);
        int x0 = t * k;
        int wo = p * k * NR;
        for (int c = 0; c < k; c++, wo += NR) {
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a0 = FloatVector.fromArray(F, packed, wo).fma(v, a0);
            a1 = FloatVector.fromArray(F, packed, wo + L).fma(v, a1);
            a2 = FloatVector.fromArray(F, packed, wo + 2 * L).fma(v, a2);
            a3 = FloatVector.fromArray(F, packed, wo + 3 * L).fma(v, a3);
        }
        store(a0, out, t, c0, n);
        store(a1, out, t, c0 + L, n);
        store(a2, out, t, c0 + 2 * L, n);
        store(a3, out, t, c0 + 3 * L, n);
    }

    /** Scalar oracle: out[t, j] = bias[j] + Σ_c x[t, c]·w[j, c] with w unpacked [n, k], summed in float. */
    public static void reference(float[] x, int rows, int k, float[] w, int n, float[] bias, float[] out) {
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int c = 0; c < k; c++) {
                    s += x[t * k + c] * w[j * k + c];
                }
                out[t * n + j] = s + (bias == null ? 0 : bias[j]);
            }
        }
    }
}
