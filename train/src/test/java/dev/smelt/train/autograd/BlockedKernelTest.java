package dev.smelt.train.autograd;

import dev.smelt.model.WeightMatrix;
import dev.smelt.tensor.PanelKernel;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.Tolerances;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link PanelKernel} and {@link Attention} against their scalar oracles at odd sizes, and their thread-count independence. */
class BlockedKernelTest {
    /** Float32 sums of a few hundred terms in different orders (fused vs unfused, float vs double). */
    static final double REL = 1e-4;
    static final double ABS = 1e-4;

    private static ThreadPool one;
    private static ThreadPool three;
    private final Random rnd = new Random(11);

    @BeforeAll
    static void start() {
        one = new ThreadPool(1);
        three = new ThreadPool(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        three.close();
    }

    private float[] randn(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) rnd.nextGaussian();
        }
        return d;
    }

    @Test
    void panelKernelMatchesReferenceWithAnyStrides() {
        int nr = PanelKernel.NR;
        for (int[] s : new int[][] {{1, 1, 1}, {3, 17, nr}, {4, 5, nr}, {9, 33, nr - 1}, {13, 64, 7}, {6, 129, nr}}) {
            int m = s[0], k = s[1], w = s[2];
            // a as a column-major view (aRs = 1, aCs = m + 2) and b with padded rows, out with padded rows
            int aCs = m + 2, bRs = w + 5, oRs = w + 3;
            float[] a = randn(3 + k * aCs), b = randn(2 + k * bRs), out = randn(1 + m * oRs);
            float[] ref = out.clone();
            PanelKernel.accumulate(a, 3, 1, aCs, b, 2, bRs, k, out, 1, oRs, m, w);
            PanelKernel.reference(a, 3, 1, aCs, b, 2, bRs, k, ref, 1, oRs, m, w);
            Tolerances.assertClose("panel " + m + "x" + k + "x" + w, ref, out, ABS * Math.sqrt(k), REL);
            // row-major a
            float[] a2 = randn(m * k), out2 = randn(m * oRs), ref2 = out2.clone();
            PanelKernel.accumulate(a2, 0, k, 1, b, 2, bRs, k, out2, 0, oRs, m, w);
            PanelKernel.reference(a2, 0, k, 1, b, 2, bRs, k, ref2, 0, oRs, m, w);
            Tolerances.assertClose("panel row-major " + m + "x" + k + "x" + w, ref2, out2, ABS * Math.sqrt(k), REL);
        }
    }

    @Test
    void frozenProductsDoNotDependOnThreadCount() {
        for (int[] s : new int[][] {{37, 150, 130}, {64, 192, 576}, {9, 700, 64}}) {
            int n = s[0], rows = s[1], cols = s[2];
            WeightMatrix w = GradCheckTest.f32Matrix("w", randn(rows * cols), rows, cols);
            float[] x = randn(n * cols);
            float[] y1 = new float[n * rows], y3 = new float[n * rows];
            FrozenMatmul.forward(one, w, x, n, y1);
            FrozenMatmul.forward(three, w, x, n, y3);
            assertThat(y3).as("forward %dx%dx%d", n, rows, cols).containsExactly(y1);
            float[] dy = randn(n * rows);
            float[] d1 = randn(n * cols), d3 = d1.clone();
            FrozenMatmul.backward(one, w, dy, n, d1);
            FrozenMatmul.backward(three, w, dy, n, d3);
            assertThat(d3).as("backward %dx%dx%d", n, rows, cols).containsExactly(d1);
        }
    }

    /** y += x·Wᵀ + u·Bᵀ and dx += dy·W + du·A, the LoRA terms fused into the frozen products. */
    @Test
    void fusedLoraTermsMatchSeparateProducts() {
        for (int[] s : new int[][] {{5, 37, 53, 3}, {33, 130, 70, 16}, {8, 64, 64, 1}}) {
            int n = s[0], rows = s[1], cols = s[2], r = s[3];
            WeightMatrix w = GradCheckTest.f32Matrix("w", randn(rows * cols), rows, cols);
            float[] x = randn(n * cols), u = randn(n * r), b = randn(rows * r), a = randn(r * cols);
            float[] y = randn(n * rows), ref = y.clone();
            FrozenMatmul.forwardAccumulate(three, w, x, n, y, u, b, r);
            float[] wx = new float[n * rows];
            FrozenMatmul.forwardReference(w, x, n, wx);
            for (int t = 0; t < n; t++) {
                for (int o = 0; o < rows; o++) {
                    double d = 0;
                    for (int j = 0; j < r; j++) {
                        d += (double) u[t * r + j] * b[o * r + j];
                    }
                    ref[t * rows + o] += (float) (wx[t * rows + o] + d);
                }
            }
            Tolerances.assertClose("fused forward " + n + "x" + rows + "x" + cols + " r" + r, ref, y, ABS * Math.sqrt(cols), REL);
            float[] dy = randn(n * rows), du = randn(n * r);
            float[] dx = randn(n * cols), dref = dx.clone();
            FrozenMatmul.backward(three, w, dy, n, dx, du, a, r);
            FrozenMatmul.reference(w, dy, n, dref);
            Dense.accABReference(du, n, r, a, cols, dref);
            Tolerances.assertClose("fused backward " + n + "x" + rows + "x" + cols + " r" + r, dref, dx, ABS * Math.sqrt(rows), REL);
        }
    }

    /** The chunked head gives the same loss and input gradient as linear + crossEntropy, bit for bit (one chunk and several). */
    @Test
    void linearCrossEntropyEqualsLinearThenCrossEntropy() {
        for (int m : new int[] {7, Grad.CE_ROWS + 45}) {
            int vocab = 131, dim = 24;
            WeightMatrix w = GradCheckTest.f32Matrix("output.weight", randn(vocab * dim), vocab, dim);
            float[] xd = randn(m * dim);
            int[] targets = new int[m];
            for (int i = 0; i < m; i++) {
                targets[i] = rnd.nextInt(vocab);
            }
            Tape t1 = new Tape(three, true);
            Tensor x1 = new Tensor(xd.clone(), m, dim, true);
            Grad.Loss fused = Grad.linearCrossEntropy(t1, w, x1, targets, 3.0 * m);
            fused.tensor().grad()[0] = 1f;
            t1.backward();
            Tape t2 = new Tape(three, true);
            Tensor x2 = new Tensor(xd.clone(), m, dim, true);
            Grad.Loss plain = Grad.crossEntropy(t2, Grad.linear(t2, w, null, null, 0, x2, 0, 0), targets, 3.0 * m);
            plain.tensor().grad()[0] = 1f;
            t2.backward();
            assertThat(fused.sum()).as("loss, %d rows", m).isEqualTo(plain.sum());
            assertThat(x1.grad()).as("dx, %d rows", m).containsExactly(x2.grad());
        }
    }

    /** accATB in pieces (as the LoRA rule runs it inside the frozen product's loop) equals the whole, bit for bit. */
    @Test
    void accATBPiecesEqualTheWhole() {
        for (int[] s : new int[][] {{37, 150, 16}, {37, 16, 130}, {5, 67, 3}, {9, 300, 70}}) {
            int k = s[0], m = s[1], n = s[2];
            float[] a = randn(k * m), b = randn(k * n), whole = randn(m * n), pieces = whole.clone();
            Dense.accATB(one, a, k, m, b, n, whole);
            for (int t = 0; t < Dense.accATBTasks(m, n); t++) {
                Dense.accATBTask(a, k, m, b, n, pieces, t);
            }
            assertThat(pieces).as("accATB %dx%dx%d", k, m, n).containsExactly(whole);
        }
    }

    @Test
    void splitsSpreadPanelsEvenly() {
        assertThat(FrozenMatmul.splits(9, 256, 2)).isEqualTo(2);
        assertThat(FrozenMatmul.splits(3, 256, 2)).isEqualTo(2);
        assertThat(FrozenMatmul.splits(24, 256, 2)).isEqualTo(1);
        assertThat(FrozenMatmul.splits(1, 256, 4)).isEqualTo(4);
        assertThat(FrozenMatmul.splits(9, 40, 2)).isEqualTo(1); // too few rows to split
    }

    /** Causal with two packed documents, bidirectional (keyEnd), GQA, head dims below, at and above a panel. */
    @Test
    void attentionMatchesReference() {
        for (int[] s : new int[][] {{1, 1, 1, 8}, {131, 4, 2, 16}, {70, 3, 3, 20}, {150, 6, 2, 64}, {65, 2, 1, 80}}) {
            int n = s[0], heads = s[1], kvHeads = s[2], hd = s[3];
            int[] doc = new int[n];
            int split = n * 2 / 3;
            int[] end = new int[n];
            for (int t = 0; t < n; t++) {
                doc[t] = t < split ? 0 : split;
                end[t] = t < split ? split : n;
            }
            for (int[] keyEnd : new int[][] {null, end}) {
                Attention.Shape sh = new Attention.Shape(n, heads, kvHeads, hd, doc, keyEnd, (float) (1 / Math.sqrt(hd)));
                String what = "attention n=" + n + " heads=" + heads + "/" + kvHeads + " hd=" + hd + (keyEnd == null ? " causal" : " bidirectional");
                float[] q = randn(n * heads * hd), k = randn(n * kvHeads * hd), v = randn(n * kvHeads * hd);
                float[] out = randn(n * heads * hd), ref = new float[out.length];
                Attention.forward(three, q, k, v, sh, out);
                Attention.forwardReference(q, k, v, sh, ref);
                Tolerances.assertClose(what + " forward", ref, out, ABS * Math.sqrt(n), REL);
                float[] dout = randn(out.length);
                float[] dq = randn(q.length), dk = randn(k.length), dv = randn(v.length);
                float[] rq = dq.clone(), rk = dk.clone(), rv = dv.clone();
                float[] oq = dq.clone(), ok = dk.clone(), ov = dv.clone();
                Attention.backward(three, q, k, v, sh, dout, dq, dk, dv);
                Attention.backwardReference(q, k, v, sh, dout, rq, rk, rv);
                Tolerances.assertClose(what + " dq", rq, dq, ABS * Math.sqrt(n), REL);
                Tolerances.assertClose(what + " dk", rk, dk, ABS * Math.sqrt(n), REL);
                Tolerances.assertClose(what + " dv", rv, dv, ABS * Math.sqrt(n), REL);
                Attention.backward(one, q, k, v, sh, dout, oq, ok, ov);
                assertThat(oq).as(what + " dq, 1 vs 3 threads").containsExactly(dq);
                assertThat(ok).as(what + " dk, 1 vs 3 threads").containsExactly(dk);
                assertThat(ov).as(what + " dv, 1 vs 3 threads").containsExactly(dv);
            }
        }
    }
}
