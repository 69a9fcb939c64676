package dev.smelt.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked panel micro-kernel shared by the encoder's {@link PackedGemm} and the trainer
 * (frozen-weight products, dense products, blocked attention): a block of 4 output rows × 4 vectors
 * (16 accumulators) is updated by one broadcast of a coefficient per row and 4 vector loads of a panel
 * row per reduction step, so the inner loop does 16 FMAs per 8 loads and never reduces across lanes.
 *
 * <p>It computes out[i, j] += Σ_kk a(i, kk) · b(kk, j) for i &lt; m, j &lt; w ≤ {@link #NR}, where
 * a(i, kk) = {@code a[aOff + i·aRs + kk·aCs]} (any strides: row-major activations, or a transposed
 * view such as attention's dSᵀ) and b(kk, j) = {@code b[bOff + kk·bRs + j]} (a packed weight panel, or
 * rows of k/v/q). The accumulators start from out's current values and each output element is one FMA
 * chain over kk in increasing order: the result does not depend on how callers split rows or columns
 * among threads, nor on the JIT tier, which bit-identical exact resume needs.
 *
 * <p>{@link #reference} is the scalar oracle (the same chain, unfused). Stateless, thread-safe.
 */
public final class PanelKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Output columns per call: four vectors. */
    public static final int NR = 4 * L;

    private PanelKernel() {
    }

    /**
     * @param a    coefficients, a(i, kk) at {@code aOff + i·aRs + kk·aCs}
     * @param b    panel rows, b(kk, j) at {@code bOff + kk·bRs + j}, j &lt; w
     * @param k    reduction length
     * @param out  out(i, j) at {@code oOff + i·oRs + j}, accumulated into
     * @param m    output rows
     * @param w    output columns, 1..{@link #NR}
     */
    public static void accumulate(float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs, int k,
                           float[] out, int oOff, int oRs, int m, int w) {
        if (w == NR) {
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                block4(a, aOff + i * aRs, aRs, aCs, b, bOff, bRs, k, out, oOff + i * oRs, oRs);
            }
            for (; i < m; i++) {
                block1(a, aOff + i * aRs, aCs, b, bOff, bRs, k, out, oOff + i * oRs);
            }
        } else {
            for (int i = 0; i < m; i++) {
                masked1(a, aOff + i * aRs, aCs, b, bOff, bRs, k, out, oOff + i * oRs, w);
            }
        }
    }

    private static void block4(float[] a, int ao, int aRs, int aCs, float[] b, int bo, int bRs, int k, float[] out, int oo, int oRs) {
        int o1 = oo + oRs, o2 = o1 + oRs, o3 = o2 + oRs;
        FloatVector c00 = FloatVector.fromArray(F, out, oo), c01 = FloatVector.fromArray(F, out, oo + L);
        FloatVector c02 = FloatVector.fromArray(F, out, oo + 2 * L), c03 = FloatVector.fromArray(F, out, oo + 3 * L);
        FloatVector c10 = FloatVector.fromArray(F, out, o1), c11 = FloatVector.fromArray(F, out, o1 + L);
        FloatVector c12 = FloatVector.fromArray(F, out, o1 + 2 * L), c13 = FloatVector.fromArray(F, out, o1 + 3 * L);
        FloatVector c20 = FloatVector.fromArray(F, out, o2), c21 = FloatVector.fromArray(F, out, o2 + L);
        FloatVector c22 = FloatVector.fromArray(F, out, o2 + 2 * L), c23 = FloatVector.fromArray(F, out, o2 + 3 * L);
        FloatVector c30 = FloatVector.fromArray(F, out, o3), c31 = FloatVector.fromArray(F, out, o3 + L);
        FloatVector c32 = FloatVector.fromArray(F, out, o3 + 2 * L), c33 = FloatVector.fromArray(F, out, o3 + 3 * L);
        int a0 = ao, a1 = ao + aRs, a2 = a1 + aRs, a3 = a2 + aRs;
        int wo = bo;
        for (int kk = 0; kk < k; kk++, wo += bRs) {
            FloatVector w0 = FloatVector.fromArray(F, b, wo);
            FloatVector w1 = FloatVector.fromArray(F, b, wo + L);
            FloatVector w2 = FloatVector.fromArray(F, b, wo + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, b, wo + 3 * L);
            int ak = kk * aCs;
            FloatVector v = FloatVector.broadcast(F, a[a0 + ak]);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            c02 = w2.fma(v, c02);
            c03 = w3.fma(v, c03);
            v = FloatVector.broadcast(F, a[a1 + ak]);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            c12 = w2.fma(v, c12);
            c13 = w3.fma(v, c13);
            v = FloatVector.broadcast(F, a[a2 + ak]);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            c22 = w2.fma(v, c22);
            c23 = w3.fma(v, c23);
            v = FloatVector.broadcast(F, a[a3 + ak]);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            c32 = w2.fma(v, c32);
            c33 = w3.fma(v, c33);
        }
        store(out, oo, c00, c01, c02, c03);
        store(out, o1, c10, c11, c12, c13);
        store(out, o2, c20, c21, c22, c23);
        store(out, o3, c30, c31, c32, c33);
    }

    private static void store(float[] out, int o, FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3) {
        v0.intoArray(out, o);
        v1.intoArray(out, o + L);
        v2.intoArray(out, o + 2 * L);
        v3.intoArray(out, o + 3 * L);
    }

    private static void block1(float[] a, int ao, int aCs, float[] b, int bo, int bRs, int k, float[] out, int oo) {
        FloatVector c0 = FloatVector.fromArray(F, out, oo), c1 = FloatVector.fromArray(F, out, oo + L);
        FloatVector c2 = FloatVector.fromArray(F, out, oo + 2 * L), c3 = FloatVector.fromArray(F, out, oo + 3 * L);
        int wo = bo;
        for (int kk = 0; kk < k; kk++, wo += bRs) {
            FloatVector v = FloatVector.broadcast(F, a[ao + kk * aCs]);
            c0 = FloatVector.fromArray(F, b, wo).fma(v, c0);
            c1 = FloatVector.fromArray(F, b, wo + L).fma(v, c1);
            c2 = FloatVector.fromArray(F, b, wo + 2 * L).fma(v, c2);
            c3 = FloatVector.fromArray(F, b, wo + 3 * L).fma(v, c3);
        }
        store(out, oo, c0, c1, c2, c3);
    }

    /** One output row narrower than {@link #NR}: masked vectors, same chain per element. */
    private static void masked1(float[] a, int ao, int aCs, float[] b, int bo, int bRs, int k, float[] out, int oo, int w) {
        for (int j0 = 0; j0 < w; j0 += L) {
            VectorMask<Float> mk = F.indexInRange(j0, w);
            FloatVector c = FloatVector.fromArray(F, out, oo + j0, mk);
            int wo = bo + j0;
            for (int kk = 0; kk < k; kk++, wo += bRs) {
                c = FloatVector.fromArray(F, b, wo, mk).fma(FloatVector.broadcast(F, a[ao + kk * aCs]), c);
            }
            c.intoArray(out, oo + j0, mk);
        }
    }

    /** Scalar oracle of {@link #accumulate}: the same sums, in float, without fusing. */
    public static void reference(float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int bRs, int k,
                          float[] out, int oOff, int oRs, int m, int w) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < w; j++) {
                float s = out[oOff + i * oRs + j];
                for (int kk = 0; kk < k; kk++) {
                    s += a[aOff + i * aRs + kk * aCs] * b[bOff + kk * bRs + j];
                }
                out[oOff + i * oRs + j] = s;
            }
        }
    }
}
