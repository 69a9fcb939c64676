package dev.smelt.train.autograd;

import dev.smelt.tensor.PanelKernel;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.FastExp;

/**
 * Blocked multi-head attention for the trainer, forward and backward, on {@link PanelKernel}: query rows in
 * blocks of {@link #BLOCK}, scores S = q·kᵀ for a block of rows against a panel of keys at a time, softmax
 * per row, o = P·v; nothing of size [n, n] is kept between forward and backward (backward recomputes the
 * scores, as FlashAttention does, which bounds memory at long sequences). Softmax exponentials come from
 * {@link FastExp} (vectorized, the same bits in every JIT tier).
 *
 * <p>Row t attends keys s in [docStart[t], keyEnd[t]) (keyEnd null: causal, keyEnd[t] = t + 1). A block
 * computes the union of its rows' key ranges; the entries outside a row's own range are exactly 0 in P and
 * dS, so they add nothing to any sum. Every output element is one FMA chain in a fixed order that depends
 * only on the shapes and masks, never on the thread count, which exact resume needs.
 *
 * <p>Backward, per query head h: dP = do·vᵀ, dS = P ⊙ (dP − Σ_s P⊙dP)·scale, dq = dS·k (phase A, per row
 * block), then per key/value head and key block dk = Σ_h dSᵀ·q, dv = Σ_h Pᵀ·do with the group's query
 * heads in increasing order (phase B), each accumulated straight into the gradient. Phase A keeps P and dS
 * of the current layer for phase B ([heads, n, n] floats, freed after the op).
 *
 * <p>{@link #forwardReference} and {@link #backwardReference} are the scalar oracles (double sums).
 * Stateless, thread-safe.
 */
final class Attention {
    /** Query (and key) rows per block. */
    static final int BLOCK = 64;
    private static final int NR = PanelKernel.NR;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** Shapes and masks of one attention call. */
    record Shape(int n, int heads, int kvHeads, int hd, int[] docStart, int[] keyEnd, float scale) {
        int qDim() {
            return heads * hd;
        }

        int kvDim() {
            return kvHeads * hd;
        }

        int group() {
            return heads / kvHeads;
        }

        int s0(int t) {
            return docStart[t];
        }

        int s1(int t) {
            return keyEnd == null ? t + 1 : keyEnd[t];
        }

        int blocks() {
            return (n + BLOCK - 1) / BLOCK;
        }
    }

    private Attention() {
    }

    /** One kv head's [n, hd] slice of x [n, stride] at column {@code off}, transposed to [hd, n]. */
    static float[] transposedHead(float[] x, int n, int stride, int off, int hd) {
        float[] t = new float[hd * n];
        for (int s = 0; s < n; s++) {
            int o = s * stride + off;
            for (int i = 0; i < hd; i++) {
                t[i * n + s] = x[o + i];
            }
        }
        return t;
    }

    private static float[][] transposedHeads(float[] x, Shape sh) {
        float[][] t = new float[sh.kvHeads()][];
        for (int g = 0; g < sh.kvHeads(); g++) {
            t[g] = transposedHead(x, sh.n(), sh.kvDim(), g * sh.hd(), sh.hd());
        }
        return t;
    }

    /**
     * Fills rows [t0, t1) of p (row stride n, rows at {@code pBase + (t − t0)·n}) with softmax(scale·q·kᵀ) over
     * each row's key range and 0 over the rest of [lo, hi), the union of the block's ranges.
     *
     * @return {lo, hi}
     */
    private static int[] probabilities(float[] q, float[][] kt, Shape sh, int h, int t0, int t1, float[] p, int pBase) {
        int n = sh.n();
        int lo = Integer.MAX_VALUE;
        int hi = 0;
        for (int t = t0; t < t1; t++) {
            lo = Math.min(lo, sh.s0(t));
            hi = Math.max(hi, sh.s1(t));
        }
        int m = t1 - t0;
        for (int r = 0; r < m; r++) {
            java.util.Arrays.fill(p, pBase + r * n + lo, pBase + r * n + hi, 0f);
        }
        float[] k = kt[h / sh.group()];
        for (int j = lo; j < hi; j += NR) {
            PanelKernel.accumulate(q, t0 * sh.qDim() + h * sh.hd(), sh.qDim(), 1, k, j, n, sh.hd(), p, pBase + j, n, m,
                    Math.min(NR, hi - j));
        }
        for (int t = t0; t < t1; t++) {
            int o = pBase + (t - t0) * n;
            int s0 = sh.s0(t);
            int s1 = sh.s1(t);
            java.util.Arrays.fill(p, o + lo, o + s0, 0f);
            java.util.Arrays.fill(p, o + s1, o + hi, 0f);
            for (int s = s0; s < s1; s++) {
                p[o + s] *= sh.scale();
            }
            FastExp.softmax(p, o + s0, s1 - s0);
        }
        return new int[] {lo, hi};
    }

    /**
     * o = softmax(scale·q·kᵀ)·v.
     *
     * @param q   [n, heads·hd]
     * @param k   [n, kvHeads·hd]
     * @param v   [n, kvHeads·hd]
     * @param out [n, heads·hd], overwritten
     */
    static void forward(ThreadPool pool, float[] q, float[] k, float[] v, Shape sh, float[] out) {
        int n = sh.n();
        java.util.Arrays.fill(out, 0, n * sh.qDim(), 0f);
        float[][] kt = transposedHeads(k, sh);
        int blocks = sh.blocks();
        pool.parallelFor(sh.heads() * blocks, task -> {
            int h = task % sh.heads();
            int t0 = (blocks - 1 - task / sh.heads()) * BLOCK; // longest (last) blocks first: better balance
            int t1 = Math.min(n, t0 + BLOCK);
            float[] p = SCRATCH.get();
            if (p.length < BLOCK * n) {
                p = new float[BLOCK * n];
                SCRATCH.set(p);
            }
            int[] r = probabilities(q, kt, sh, h, t0, t1, p, 0);
            pv(p, r[0], r[1], t0, t1, v, sh, h, out, n);
        });
    }

    /** out[t, h] += Σ_s p[t, s]·v[s, kvHead(h)] for rows [t0, t1) and s in [lo, hi); p rows start at pBase. */
    private static void pv(float[] p, int lo, int hi, int t0, int t1, float[] v, Shape sh, int h, float[] out, int n) {
        int kvOff = (h / sh.group()) * sh.hd();
        for (int j = 0; j < sh.hd(); j += NR) {
            PanelKernel.accumulate(p, lo, n, 1, v, lo * sh.kvDim() + kvOff + j, sh.kvDim(), hi - lo, out,
                    t0 * sh.qDim() + h * sh.hd() + j, sh.qDim(), t1 - t0, Math.min(NR, sh.hd() - j));
        }
    }

    /**
     * Adds the gradients of q, k and v for output gradient {@code dout} (any of dq, dk, dv may be null: not needed).
     *
     * @param dout [n, heads·hd]
     */
    static void backward(ThreadPool pool, float[] q, float[] k, float[] v, Shape sh, float[] dout, float[] dq, float[] dk, float[] dv) {
        int n = sh.n();
        int heads = sh.heads();
        int blocks = sh.blocks();
        float[][] kt = transposedHeads(k, sh);
        float[][] vt = transposedHeads(v, sh);
        float[][] probs = new float[heads][]; // [n, n] per head; row t is 0 outside t's key range
        float[][] ds = new float[heads][];    // [n, n] per head, likewise
        for (int h = 0; h < heads; h++) {
            probs[h] = new float[n * n];
            ds[h] = new float[n * n];
        }
        pool.parallelFor(heads * blocks, task -> {
            int h = task % heads;
            int t0 = (blocks - 1 - task / heads) * BLOCK;
            int t1 = Math.min(n, t0 + BLOCK);
            phaseA(q, k, kt, vt, sh, dout, dq, probs[h], ds[h], h, t0, t1);
        });
        if (dk == null && dv == null) {
            return;
        }
        int[][] tRange = queryRanges(sh);
        pool.parallelFor(sh.kvHeads() * blocks, task -> {
            int g = task % sh.kvHeads();
            int b = task / sh.kvHeads();
            int j0 = b * BLOCK;
            int m = Math.min(n, j0 + BLOCK) - j0;
            int lo = tRange[b][0];
            int hi = tRange[b][1];
            if (lo >= hi) {
                return;
            }
            int kvOff = g * sh.hd();
            for (int h = g * sh.group(); h < (g + 1) * sh.group(); h++) {
                for (int j = 0; j < sh.hd(); j += NR) {
                    int w = Math.min(NR, sh.hd() - j);
                    int qo = lo * sh.qDim() + h * sh.hd() + j;
                    int go = j0 * sh.kvDim() + kvOff + j;
                    if (dk != null) {
                        PanelKernel.accumulate(ds[h], lo * n + j0, 1, n, q, qo, sh.qDim(), hi - lo, dk, go, sh.kvDim(), m, w);
                    }
                    if (dv != null) {
                        PanelKernel.accumulate(probs[h], lo * n + j0, 1, n, dout, qo, sh.qDim(), hi - lo, dv, go, sh.kvDim(), m, w);
                    }
                }
            }
        });
    }

    /** Recomputes P for rows [t0, t1) of head h, then dP, dS and dq there. */
    private static void phaseA(float[] q, float[] k, float[][] kt, float[][] vt, Shape sh, float[] dout, float[] dq,
                               float[] p, float[] d, int h, int t0, int t1) {
        int n = sh.n();
        int m = t1 - t0;
        int[] r = probabilities(q, kt, sh, h, t0, t1, p, t0 * n);
        int lo = r[0];
        int hi = r[1];
        float[] vh = vt[h / sh.group()];
        for (int j = lo; j < hi; j += NR) {
            PanelKernel.accumulate(dout, t0 * sh.qDim() + h * sh.hd(), sh.qDim(), 1, vh, j, n, sh.hd(), d, t0 * n + j, n, m,
                    Math.min(NR, hi - j));
        }
        for (int t = t0; t < t1; t++) {
            int o = t * n;
            int s0 = sh.s0(t);
            int s1 = sh.s1(t);
            double sum = 0;
            for (int s = s0; s < s1; s++) {
                sum += (double) p[o + s] * d[o + s];
            }
            float fs = (float) sum;
            for (int s = lo; s < hi; s++) {
                d[o + s] = s >= s0 && s < s1 ? p[o + s] * (d[o + s] - fs) * sh.scale() : 0f;
            }
        }
        if (dq != null) {
            int kvOff = (h / sh.group()) * sh.hd();
            for (int j = 0; j < sh.hd(); j += NR) {
                PanelKernel.accumulate(d, t0 * n + lo, n, 1, k, lo * sh.kvDim() + kvOff + j, sh.kvDim(), hi - lo, dq,
                        t0 * sh.qDim() + h * sh.hd() + j, sh.qDim(), m, Math.min(NR, sh.hd() - j));
            }
        }
    }

    /** Per key block b: the query rows [lo, hi) whose key ranges meet the block. */
    private static int[][] queryRanges(Shape sh) {
        int blocks = sh.blocks();
        int[][] r = new int[blocks][];
        for (int b = 0; b < blocks; b++) {
            r[b] = new int[] {Integer.MAX_VALUE, 0};
        }
        for (int t = 0; t < sh.n(); t++) {
            int s0 = sh.s0(t);
            int s1 = sh.s1(t);
            if (s0 >= s1) {
                continue;
            }
            for (int b = s0 / BLOCK; b <= (s1 - 1) / BLOCK; b++) {
                r[b][0] = Math.min(r[b][0], t);
                r[b][1] = Math.max(r[b][1], t + 1);
            }
        }
        return r;
    }

    /** Scalar oracle of {@link #forward}. */
    static void forwardReference(float[] q, float[] k, float[] v, Shape sh, float[] out) {
        int hd = sh.hd();
        for (int h = 0; h < sh.heads(); h++) {
            int kvOff = (h / sh.group()) * hd;
            for (int t = 0; t < sh.n(); t++) {
                double[] p = rowProbs(q, k, sh, h, t);
                for (int i = 0; i < hd; i++) {
                    double acc = 0;
                    for (int s = sh.s0(t); s < sh.s1(t); s++) {
                        acc += p[s - sh.s0(t)] * v[s * sh.kvDim() + kvOff + i];
                    }
                    out[t * sh.qDim() + h * hd + i] = (float) acc;
                }
            }
        }
    }

    private static double[] rowProbs(float[] q, float[] k, Shape sh, int h, int t) {
        int hd = sh.hd();
        int kvOff = (h / sh.group()) * hd;
        int s0 = sh.s0(t);
        double[] p = new double[sh.s1(t) - s0];
        double max = Double.NEGATIVE_INFINITY;
        for (int s = s0; s < sh.s1(t); s++) {
            double acc = 0;
            for (int i = 0; i < hd; i++) {
                acc += (double) q[t * sh.qDim() + h * hd + i] * k[s * sh.kvDim() + kvOff + i];
            }
            p[s - s0] = acc * sh.scale();
            max = Math.max(max, p[s - s0]);
        }
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(p[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Scalar oracle of {@link #backward} (adds into dq, dk, dv). */
    static void backwardReference(float[] q, float[] k, float[] v, Shape sh, float[] dout, float[] dq, float[] dk, float[] dv) {
        int hd = sh.hd();
        for (int h = 0; h < sh.heads(); h++) {
            int kvOff = (h / sh.group()) * hd;
            for (int t = 0; t < sh.n(); t++) {
                double[] p = rowProbs(q, k, sh, h, t);
                int s0 = sh.s0(t);
                double[] dp = new double[p.length];
                double sum = 0;
                for (int s = s0; s < sh.s1(t); s++) {
                    double acc = 0;
                    for (int i = 0; i < hd; i++) {
                        acc += (double) dout[t * sh.qDim() + h * hd + i] * v[s * sh.kvDim() + kvOff + i];
                    }
                    dp[s - s0] = acc;
                    sum += p[s - s0] * acc;
                }
                for (int s = s0; s < sh.s1(t); s++) {
                    double dsv = p[s - s0] * (dp[s - s0] - sum) * sh.scale();
                    for (int i = 0; i < hd; i++) {
                        int qi = t * sh.qDim() + h * hd + i;
                        int ki = s * sh.kvDim() + kvOff + i;
                        dq[qi] += (float) (dsv * k[ki]);
                        dk[ki] += (float) (dsv * q[qi]);
                        dv[ki] += (float) (p[s - s0] * dout[qi]);
                    }
                }
            }
        }
    }
}
