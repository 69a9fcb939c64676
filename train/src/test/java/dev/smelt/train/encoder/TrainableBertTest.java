package dev.smelt.train.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.BertModel;
import dev.smelt.model.encoder.BertWeights;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.model.encoder.Pooling;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The trainable BERT against the inference engine (same pooled vectors) and its whole-model gradient against
 * central finite differences of the classification loss, on a tiny random BERT and on the real built-in models.
 */
class TrainableBertTest {
    /** Trainable vs inference forward: the same kernels, only the bias is added after the product instead of inside it. */
    static final double EMBED_TOL = 1e-5;
    /** Real models: element-wise tolerance on L2-normalized embeddings (float32 through 6–12 layers). */
    static final double REAL_EMBED_TOL = 1e-5;
    static final float H = 1e-2f;
    /** |analytic − numeric| ≤ GRAD_TOL·(|analytic| + GRAD_FLOOR), the two step sizes agreeing within FD_SELF_TOL. */
    static final double GRAD_TOL = 2e-2;
    static final double GRAD_FLOOR = 5e-3;
    static final double FD_SELF_TOL = 2e-2;

    private static ThreadPool pool;
    private static final int[][] SEQS = {{1, 5, 7, 2}, {1, 9, 2}, {1, 3, 4, 11, 22, 6, 2}};
    private static final int[] TARGETS = {2, 0, 1};

    @BeforeAll
    static void start() {
        pool = new ThreadPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @Test
    void forwardEqualsInferenceEncoder() {
        for (Pooling p : Pooling.values()) {
            BertWeights w = TinyBert.random(p, 3);
            TrainableBert m = TrainableBert.from(w, 3, 1, pool);
            Tensor pooled = m.encode(new Tape(pool, false), m.params(), m.pack(pool), SEQS, 0f, 0);
            float[][] ref = new BertModel(w).encode(pool, SEQS);
            for (int s = 0; s < SEQS.length; s++) {
                for (int i = 0; i < ref[s].length; i++) {
                    float a = pooled.data[s * pooled.cols + i];
                    assertThat((double) Math.abs(a - ref[s][i])).as("%s sequence %d [%d]: trainable %g vs inference %g", p, s, i, a, ref[s][i])
                            .isLessThanOrEqualTo(EMBED_TOL);
                }
            }
            // and back: the exported weights run in the inference engine give the same vectors
            float[][] back = new BertModel(m.toWeights()).encode(pool, SEQS);
            for (int s = 0; s < SEQS.length; s++) {
                assertThat(back[s]).as("%s round trip sequence %d", p, s).containsExactly(ref[s]);
            }
        }
    }

    @Test
    void denseWeightsOfAnyLinear() {
        java.util.Random r = new java.util.Random(4);
        float[] w = new float[37 * 21];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        dev.smelt.model.encoder.PackedLinear packed = new dev.smelt.model.encoder.PackedLinear("w", w, 37, 21);
        assertThat(TrainableBert.dense(packed, pool)).as("unpacked panels").containsExactly(w);
        dev.smelt.model.Linear plain = new dev.smelt.model.Linear() {
            public String name() { return "w"; }
            public int rows() { return 37; }
            public int cols() { return 21; }
            public void matmul(ThreadPool p, float[] x, int batch, float[] out) { packed.matmul(p, x, batch, out); }
        };
        assertThat(TrainableBert.dense(plain, pool)).as("identity products").containsExactly(w);
    }

    @Test
    void forwardEqualsMiniLmEmbeddings() throws Exception {
        forwardEqualsBuiltin("all-minilm-l6-v2");
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void forwardEqualsBgeSmallEmbeddings() throws Exception {
        forwardEqualsBuiltin("bge-small-en-v1.5");
    }

    private static void forwardEqualsBuiltin(String name) throws Exception {
        List<String> texts = List.of("How do I top up my card?", "I still have not received my new card, what should I do?", "hi");
        {
            try (BertEmbedder e = Embedders.open(name, 2)) {
                float[][] ref = e.embed(texts);
                TrainableBert m = TrainableBert.from(e.weights(), 2, 1, pool);
                int[][] seqs = texts.stream().map(e::tokens).toArray(int[][]::new);
                Tensor pooled = m.encode(new Tape(pool, false), m.params(), m.pack(pool), seqs, 0f, 0);
                for (int s = 0; s < seqs.length; s++) {
                    float[] v = java.util.Arrays.copyOfRange(pooled.data, s * pooled.cols, (s + 1) * pooled.cols);
                    dev.smelt.model.encoder.EncoderOps.l2Normalize(v);
                    double max = 0;
                    int at = 0;
                    for (int i = 0; i < v.length; i++) {
                        if (Math.abs(v[i] - ref[s][i]) > max) {
                            max = Math.abs(v[i] - ref[s][i]);
                            at = i;
                        }
                    }
                    assertThat(max).as("%s text %d: max diff %g at [%d] (%g vs %g)", name, s, max, at, v[at], ref[s][at])
                            .isLessThanOrEqualTo(REAL_EMBED_TOL);
                }
            }
        }
    }

    @Test
    void wholeModelGradientMatchesFiniteDifferences() {
        for (float dropout : new float[] {0f, 0.2f}) {
            for (Pooling p : dropout == 0 ? Pooling.values() : new Pooling[] {Pooling.MEAN}) {
                TrainableBert m = TrainableBert.from(TinyBert.random(p, 5), 3, 2, pool);
                // a head of N(0, 0.02²) would make every encoder gradient tiny; use a scale that lets them show
                Random r = new Random(9);
                float[] hw = m.params()[m.params().length - 2].data;
                for (int i = 0; i < hw.length; i++) {
                    hw[i] = (float) r.nextGaussian();
                }
                Tensor[] view = m.view();
                Tape tape = new Tape(pool, true);
                loss(m, tape, view, dropout).accumulateGrad(new float[] {1f});
                tape.backward();
                Tensor[] ps = m.params();
                int checked = 0;
                for (int k = 0; k < ps.length; k++) {
                    float[] x = ps[k].data;
                    float[] g = view[k].gradOrNull();
                    // position rows past the longest sequence get no gradient; check the rows in use
                    int n = m.names().get(k).contains("position") ? 7 * ps[k].cols : m.names().get(k).contains("token_type") ? ps[k].cols : x.length;
                    for (int i = 0; i < n; i++) {
                        double fd1 = diff(m, x, i, H, dropout);
                        double fd2 = diff(m, x, i, H / 2, dropout);
                        String what = p + " dropout " + dropout + " " + m.names().get(k) + "[" + i + "]";
                        assertThat(Math.abs(fd1 - fd2)).as("%s: finite differences at h and h/2 disagree (%g vs %g)", what, fd1, fd2)
                                .isLessThanOrEqualTo(FD_SELF_TOL * (Math.abs(fd2) + GRAD_FLOOR));
                        double a = g == null ? 0 : g[i];
                        assertThat(Math.abs(a - fd2)).as("%s: analytic %g vs numeric %g", what, a, fd2)
                                .isLessThanOrEqualTo(GRAD_TOL * (Math.abs(a) + GRAD_FLOOR));
                        checked++;
                    }
                }
                assertThat(checked).isGreaterThan(1000);
            }
        }
    }

    private static Grad.Loss lossOf(TrainableBert m, Tape tape, Tensor[] p, float dropout) {
        Tensor pooled = m.encode(tape, p, null, SEQS, dropout, 77);
        return Grad.crossEntropy(tape, m.logits(tape, p, pooled, dropout, 91), TARGETS, SEQS.length);
    }

    private static Tensor loss(TrainableBert m, Tape tape, Tensor[] p, float dropout) {
        return lossOf(m, tape, p, dropout).tensor();
    }

    private static double diff(TrainableBert m, float[] x, int i, float h, float dropout) {
        float old = x[i];
        x[i] = old + h;
        double up = lossOf(m, new Tape(pool, false), m.params(), dropout).sum() / SEQS.length; // the double sum: less rounding
        x[i] = old - h;
        double down = lossOf(m, new Tape(pool, false), m.params(), dropout).sum() / SEQS.length;
        x[i] = old;
        return (up - down) / (2.0 * h);
    }
}
