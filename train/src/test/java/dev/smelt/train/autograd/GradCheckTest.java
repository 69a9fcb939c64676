package dev.smelt.train.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.WeightMatrix;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.Rope;
import dev.smelt.tensor.quant.Formats;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every gradient rule of {@link Grad} against central finite differences of L = Σ r ⊙ y for a random
 * r, on small odd shapes. "Double-checked": the difference quotient is taken at two step sizes,
 * which must agree with each other (so the numeric estimate itself is trustworthy in float32) and with
 * the analytic gradient.
 */
class GradCheckTest {
    /** Step of the central difference; float32 forward, so large enough that rounding stays ≪ signal. */
    static final float H = 1e-2f;
    /** |analytic − numeric| ≤ GRAD_TOL·(|analytic| + GRAD_FLOOR): truncation O(h²) plus float32 rounding/h. */
    static final double GRAD_TOL = 2e-2;
    static final double GRAD_FLOOR = 5e-3;
    /** The two step sizes' estimates agree this well when the function is smooth at that point. */
    static final double FD_SELF_TOL = 2e-2;

    private static ThreadPool pool;
    private final Random rnd = new Random(42);

    @BeforeAll
    static void start() {
        pool = new ThreadPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private Tensor leaf(int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextGaussian();
        }
        return new Tensor(d, rows, cols, true);
    }

    private float[] randn(int n, double scale) {
        float[] d = new float[n];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextGaussian() * scale);
        }
        return d;
    }

    /** Checks the gradient of every element of every array in {@code inputs} (the leaves' data or LoRA arrays). */
    private void check(String what, Function<Tape, Tensor> f, List<float[]> inputs, List<float[]> grads) {
        Tape tape = new Tape(pool, true);
        Tensor y = f.apply(tape);
        float[] r = randn(y.size(), 1);
        y.accumulateGrad(r);
        tape.backward();
        for (int k = 0; k < inputs.size(); k++) {
            float[] x = inputs.get(k);
            float[] g = grads.get(k);
            for (int i = 0; i < x.length; i++) {
                double fd1 = diff(f, r, x, i, H);
                double fd2 = diff(f, r, x, i, H / 2);
                assertThat(Math.abs(fd1 - fd2)).as("%s input %d[%d]: finite differences at h and h/2 disagree (%g vs %g)", what, k, i, fd1, fd2)
                        .isLessThanOrEqualTo(FD_SELF_TOL * (Math.abs(fd2) + GRAD_FLOOR));
                double a = g == null ? 0 : g[i];
                assertThat(Math.abs(a - fd2)).as("%s input %d[%d]: analytic %g vs numeric %g", what, k, i, a, fd2)
                        .isLessThanOrEqualTo(GRAD_TOL * (Math.abs(a) + GRAD_FLOOR));
            }
        }
    }

    private static double diff(Function<Tape, Tensor> f, float[] r, float[] x, int i, float h) {
        float old = x[i];
        x[i] = old + h;
        double up = dot(r, f.apply(new Tape(pool, false)));
        x[i] = old - h;
        double down = dot(r, f.apply(new Tape(pool, false)));
        x[i] = old;
        return (up - down) / (2.0 * h);
    }

    private static double dot(float[] r, Tensor y) {
        double s = 0;
        for (int i = 0; i < r.length; i++) {
            s += (double) r[i] * y.data[i];
        }
        return s;
    }

    private static List<float[]> grads(Tensor... ts) {
        List<float[]> l = new ArrayList<>();
        for (Tensor t : ts) {
            l.add(t.gradOrNull());
        }
        return l;
    }

    /** An F32 weight over a heap segment (little-endian, as GGUF stores it). */
    static WeightMatrix f32Matrix(String name, float[] w, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[w.length * 4]);
        for (int i = 0; i < w.length; i++) {
            seg.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4L * i, w[i]);
        }
        return new WeightMatrix(name, Formats.of(GgmlType.F32), seg, 0, rows, cols);
    }

    @Test
    void linearWithLoraBiasAndDropout() {
        int n = 5, in = 13, out = 7, r = 3;
        WeightMatrix w = f32Matrix("w", randn(out * in, 0.3), out, in);
        float[] bias = randn(out, 1);
        LoraParam lp = new LoraParam(new LoraAdapter.Pair("w", in, out, randn(r * in, 0.3), randn(out * r, 0.3)));
        Tensor x = leaf(n, in);
        for (float dropout : new float[] {0f, 0.3f}) {
            lp.zeroGrad();
            Tensor[] holder = new Tensor[1];
            check("linear dropout " + dropout, t -> {
                Tensor xi = new Tensor(x.data, n, in, true);
                if (t.recording()) {
                    holder[0] = xi;
                }
                return Grad.linear(t, w, bias, lp, 1.7f, xi, dropout, 99);
            }, List.of(x.data, lp.a(), lp.b()), lazy(holder, lp));
        }
    }

    /** phi3's fused projections: LoRA pairs on row slices (here two of three slices, with a gap), each with its own mask. */
    @Test
    void linearWithLoraOnRowSlices() {
        int n = 4, in = 11, out = 9, r = 2;
        WeightMatrix w = f32Matrix("qkv", randn(out * in, 0.3), out, in);
        LoraParam q = new LoraParam(new LoraAdapter.Pair("q", in, 4, randn(r * in, 0.3), randn(4 * r, 0.3)));
        LoraParam v = new LoraParam(new LoraAdapter.Pair("v", in, 3, randn(r * in, 0.3), randn(3 * r, 0.3)));
        Tensor x = leaf(n, in);
        for (float dropout : new float[] {0f, 0.3f}) {
            q.zeroGrad();
            v.zeroGrad();
            Tensor[] holder = new Tensor[1];
            check("sliced linear dropout " + dropout, t -> {
                Tensor xi = new Tensor(x.data, n, in, true);
                if (t.recording()) {
                    holder[0] = xi;
                }
                return Grad.linear(t, w, null, List.of(new Grad.LoraSlice(0, q, 5), new Grad.LoraSlice(6, v, 6)), 1.3f, xi, dropout);
            }, List.of(x.data, q.a(), q.b(), v.a(), v.b()), new java.util.AbstractList<>() {
                @Override
                public float[] get(int i) {
                    return switch (i) {
                        case 0 -> holder[0].gradOrNull();
                        case 1 -> q.gradA;
                        case 2 -> q.gradB;
                        case 3 -> v.gradA;
                        default -> v.gradB;
                    };
                }

                @Override
                public int size() {
                    return 5;
                }
            });
        }
    }

    @Test
    void splitSendsEachBlocksGradientBackToItsColumns() {
        checkLeaves("split", 1, in -> t -> {
            List<Tensor> p = Grad.split(t, in[0], 3, 5, 2); // the last block is unused: its columns get no gradient
            List<Tensor> q = Grad.split(t, p.get(1), 3, 2);  // a split of a split
            return Grad.gated(t, p.get(0), q.get(0), Grad.Gate.SILU);
        }, new int[][] {{4, 10}});
    }

    /** Grads are read after the analytic pass ran, so hand back views resolved then. */
    private static List<float[]> lazy(Tensor[] holder, LoraParam lp) {
        return new java.util.AbstractList<>() {
            @Override
            public float[] get(int i) {
                return switch (i) {
                    case 0 -> holder[0].gradOrNull();
                    case 1 -> lp.gradA;
                    default -> lp.gradB;
                };
            }

            @Override
            public int size() {
                return 3;
            }
        };
    }

    /** Runs check() for ops whose only inputs are fresh leaves created inside f. */
    private void checkLeaves(String what, int count, Function<Tensor[], Function<Tape, Tensor>> build, int[][] shapes) {
        Tensor[] base = new Tensor[count];
        for (int i = 0; i < count; i++) {
            base[i] = leaf(shapes[i][0], shapes[i][1]);
        }
        Tensor[][] seen = new Tensor[1][];
        Function<Tape, Tensor> f = t -> {
            Tensor[] ins = new Tensor[count];
            for (int i = 0; i < count; i++) {
                ins[i] = new Tensor(base[i].data, base[i].rows, base[i].cols, true);
            }
            if (t.recording()) {
                seen[0] = ins;
            }
            return build.apply(ins).apply(t);
        };
        List<float[]> data = new ArrayList<>();
        for (Tensor b : base) {
            data.add(b.data);
        }
        check(what, f, data, new java.util.AbstractList<>() {
            @Override
            public float[] get(int i) {
                return seen[0][i].gradOrNull();
            }

            @Override
            public int size() {
                return count;
            }
        });
    }

    @Test
    void rmsNormWholeRowsAndPerHead() {
        float[] w = randn(12, 1);
        checkLeaves("rmsNorm row", 1, in -> t -> Grad.rmsNorm(t, in[0], w, 1e-5f, 12), new int[][] {{3, 12}});
        float[] wh = randn(4, 1);
        checkLeaves("rmsNorm per head", 1, in -> t -> Grad.rmsNorm(t, in[0], wh, 1e-5f, 4), new int[][] {{3, 12}});
    }

    @Test
    void ropeNormAndNeox() {
        int[] pos = {0, 3, 7};
        for (Rope.Kind kind : Rope.Kind.values()) {
            Rope full = new Rope(kind, 8, 10000f, null, 1f);
            checkLeaves("rope " + kind, 1, in -> t -> Grad.rope(t, in[0], full, kind, 8, pos), new int[][] {{3, 16}});
            Rope partial = new Rope(kind, 4, 500f, null, 1f);
            checkLeaves("rope partial " + kind, 1, in -> t -> Grad.rope(t, in[0], partial, kind, 8, pos), new int[][] {{3, 16}});
        }
    }

    @Test
    void attentionGqaWithDocumentMask() {
        int n = 6, heads = 4, kvHeads = 2, hd = 3;
        int[] docStart = {0, 0, 0, 3, 3, 3};
        checkLeaves("attention", 3, in -> t -> Grad.attention(t, in[0], in[1], in[2], heads, kvHeads, hd, docStart, 0.6f),
                new int[][] {{n, heads * hd}, {n, kvHeads * hd}, {n, kvHeads * hd}});
    }

    @Test
    void attentionRespectsDocumentBoundary() {
        int n = 4, hd = 2;
        Tensor q = leaf(n, hd), k = leaf(n, hd), v = leaf(n, hd);
        Tape tape = new Tape(pool, true);
        Tensor y = Grad.attention(tape, q, k, v, 1, 1, hd, new int[] {0, 0, 2, 2}, 1f);
        y.accumulateGrad(new float[] {0, 0, 0, 0, 1, 1, 1, 1}); // loss on the second document only
        tape.backward();
        for (int i = 0; i < 2 * hd; i++) {
            assertThat(k.grad()[i]).as("key grad of doc 1 row %d", i / hd).isZero();
            assertThat(v.grad()[i]).as("value grad of doc 1 row %d", i / hd).isZero();
        }
        assertThat(y.data[2 * hd]).as("first row of a document attends only to itself").isEqualTo(v.data[2 * hd]);
    }

    @Test
    void gatedSiluAndGelu() {
        for (Grad.Gate g : Grad.Gate.values()) {
            checkLeaves("gated " + g, 2, in -> t -> Grad.gated(t, in[0], in[1], g), new int[][] {{3, 5}, {3, 5}});
        }
    }

    @Test
    void addSoftcapGather() {
        checkLeaves("add", 2, in -> t -> Grad.add(t, in[0], in[1]), new int[][] {{2, 5}, {2, 5}});
        checkLeaves("softcap", 1, in -> t -> Grad.softcap(t, in[0], 1.5f), new int[][] {{2, 5}});
        checkLeaves("gather", 1, in -> t -> Grad.gatherRows(t, in[0], new int[] {2, 0, 2}), new int[][] {{3, 4}});
    }

    @Test
    void denseWithTrainableWeight() {
        checkLeaves("dense", 2, in -> t -> Grad.dense(t, in[0], in[1], null, null), new int[][] {{5, 13}, {7, 13}});
        // the per-step packings a trainer passes give the same function and gradients
        checkLeaves("dense prepacked", 2, in -> t -> Grad.dense(t, in[0], in[1],
                dev.smelt.tensor.PackedGemm.pack(in[1].data, 7, 13), dev.smelt.tensor.PackedGemm.packTransposed(in[1].data, 7, 13)),
                new int[][] {{5, 13}, {7, 13}});
    }

    @Test
    void biasLayerNormGeluDropout() {
        checkLeaves("bias", 2, in -> t -> Grad.bias(t, in[0], in[1]), new int[][] {{3, 7}, {1, 7}});
        checkLeaves("layerNorm", 3, in -> t -> Grad.layerNorm(t, in[0], in[1], in[2], 1e-5f), new int[][] {{3, 11}, {1, 11}, {1, 11}});
        checkLeaves("gelu", 1, in -> t -> Grad.gelu(t, in[0]), new int[][] {{3, 19}});
        checkLeaves("dropout", 1, in -> t -> Grad.dropout(t, in[0], 0.3f, 7), new int[][] {{3, 9}});
    }

    /** Vector GELU backward (Φ read off the forward output) vs its scalar erf oracle, at odd sizes and around 0. */
    @Test
    void geluBackwardVectorMatchesScalar() {
        for (int n : new int[] {1, 7, 17, 33, 101}) {
            float[] x = randn(n, 3);
            x[0] = 1e-4f; // the near-zero branch
            float[] y = x.clone();
            dev.smelt.model.encoder.EncoderOps.gelu(y, 0, n);
            float[] dy = randn(n, 1);
            float[] dv = new float[n];
            float[] ds = new float[n];
            Grad.geluBackward(x, y, dy, dv, n);
            Grad.geluBackwardReference(x, dy, ds, n);
            for (int i = 0; i < n; i++) {
                assertThat((double) Math.abs(dv[i] - ds[i])).as("n %d [%d]: vector %g vs scalar %g (x %g)", n, i, dv[i], ds[i], x[i])
                        .isLessThanOrEqualTo(GELU_BACKWARD_TOL * (1 + Math.abs(ds[i])));
            }
        }
    }

    /** GELU backward: float lanes and the erf fit's 1.2e-7 relative error against a double oracle. */
    static final double GELU_BACKWARD_TOL = 2e-5;

    @Test
    void poolingMeanAndCls() {
        int[] starts = {0, 3, 4, 7};
        for (dev.smelt.model.encoder.Pooling mode : dev.smelt.model.encoder.Pooling.values()) {
            checkLeaves("pool " + mode, 1, in -> t -> Grad.pool(t, in[0], starts, mode), new int[][] {{7, 5}});
        }
    }

    @Test
    void bertEmbeddingsPositionAndType() {
        float[] word = randn(10 * 4, 1);
        int[][] seqs = {{1, 5, 2}, {1, 9, 9, 2}};
        checkLeaves("bert embeddings", 2, in -> t -> Grad.bertEmbeddings(t, word, in[0], in[1], seqs, new int[] {0, 3, 7}),
                new int[][] {{6, 4}, {2, 4}});
    }

    @Test
    void bidirectionalAttentionOverPackedSequences() {
        int n = 7, heads = 2, hd = 3;
        int[] start = {0, 0, 0, 3, 3, 3, 3};
        int[] end = {3, 3, 3, 7, 7, 7, 7};
        checkLeaves("bidirectional attention", 3, in -> t -> Grad.attention(t, in[0], in[1], in[2], heads, heads, hd, start, end, 0.6f),
                new int[][] {{n, heads * hd}, {n, heads * hd}, {n, heads * hd}});
    }

    @Test
    void bidirectionalAttentionSeesLaterTokensButNotOtherSequences() {
        int hd = 2;
        Tensor q = leaf(4, hd), k = leaf(4, hd), v = leaf(4, hd);
        Tape tape = new Tape(pool, true);
        Tensor y = Grad.attention(tape, q, k, v, 1, 1, hd, new int[] {0, 0, 2, 2}, new int[] {2, 2, 4, 4}, 1f);
        y.accumulateGrad(new float[] {1, 1, 0, 0, 0, 0, 0, 0}); // loss on the first token only
        tape.backward();
        assertThat(Math.abs(k.grad()[2]) + Math.abs(v.grad()[2])).as("first token depends on the later token of its sequence").isPositive();
        for (int i = 2 * hd; i < 4 * hd; i++) {
            assertThat(v.grad()[i]).as("value grad of the other sequence, element %d", i).isZero();
        }
    }

    @Test
    void labelCrossEntropy() {
        // classification: one row per sequence, targets are label ids, normalized by the batch size
        checkLeaves("label cross-entropy", 1, in -> t -> Grad.crossEntropy(t, in[0], new int[] {2, 0}, 2).tensor(), new int[][] {{2, 5}});
    }

    @Test
    void maskedCrossEntropy() {
        checkLeaves("cross-entropy", 1, in -> t -> Grad.crossEntropy(t, in[0], new int[] {1, 4, 0}, 7.0).tensor(), new int[][] {{3, 6}});
    }

    /** Rows 0 and 2 carry teacher top-k (3 and 2 entries), row 1 none (plain CE); α = 0.6, T = 2. */
    static final Grad.TeacherTopK TEACHER = new Grad.TeacherTopK(new int[] {0, 3, 3, 5}, new int[] {1, 4, 2, 0, 5},
            new float[] {-0.3f, -1.6f, -2.5f, -0.1f, -2.4f});

    @Test
    void distillationCrossEntropy() {
        checkLeaves("kd cross-entropy", 1, in -> t -> Grad.distillCrossEntropy(t, in[0], new int[] {1, 4, 0}, TEACHER, 0.6f, 2f, 7.0).tensor(),
                new int[][] {{3, 6}});
        checkLeaves("kd only, T = 1", 1, in -> t -> Grad.distillCrossEntropy(t, in[0], new int[] {1, 4, 0}, TEACHER, 1f, 1f, 3.0).tensor(),
                new int[][] {{3, 6}});
    }

    @Test
    void distillationValueByHand() {
        // one row, logits 0 everywhere: q is uniform over the 2 teacher tokens; teacher p = (0.8, 0.2) after renormalization
        Tensor l = new Tensor(new float[4], 1, 4, true);
        Grad.TeacherTopK t = new Grad.TeacherTopK(new int[] {0, 2}, new int[] {3, 1}, new float[] {(float) Math.log(0.4), (float) Math.log(0.1)});
        Grad.Loss loss = Grad.distillCrossEntropy(new Tape(pool, false), l, new int[] {3}, t, 0.5f, 1f, 1);
        double kl = 0.8 * Math.log(0.8 / 0.5) + 0.2 * Math.log(0.2 / 0.5);
        assertThat(loss.sum()).isCloseTo(0.5 * Math.log(4) + 0.5 * kl, org.assertj.core.data.Offset.offset(1e-6));
        Grad.Loss none = Grad.distillCrossEntropy(new Tape(pool, false), l, new int[] {3}, t, 0f, 1f, 1);
        assertThat(none.sum()).as("alpha 0 is plain cross-entropy").isCloseTo(Math.log(4), org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void cosinePairLoss() {
        // pairs sharing rows (0 in three pairs, one pair of a row with itself) and both targets
        checkLeaves("cosine MSE", 1, in -> t -> Grad.cosineMse(t, in[0], new int[] {0, 0, 2, 3, 0}, new int[] {1, 2, 3, 3, 4},
                new float[] {1, 0, 1, 0, 0}, 5.0).tensor(), new int[][] {{5, 7}});
    }

    @Test
    void cosinePairLossValueByHand() {
        // rows (1, 0), (1, 1), (0, 2): cos 1/√2 with target 1, cos 0 with target 0, cos 1/√2 with target 0
        Tensor x = new Tensor(new float[] {1, 0, 1, 1, 0, 2}, 3, 2, true);
        Grad.Loss loss = Grad.cosineMse(new Tape(pool, false), x, new int[] {0, 0, 1}, new int[] {1, 2, 2}, new float[] {1, 0, 0}, 3);
        double c = 1 / Math.sqrt(2);
        assertThat(loss.sum()).isCloseTo((1 - c) * (1 - c) + c * c, org.assertj.core.data.Offset.offset(1e-7));
        assertThat(loss.tensor().data[0]).isCloseTo((float) (((1 - c) * (1 - c) + c * c) / 3), org.assertj.core.data.Offset.offset(1e-7f));
    }

    @Test
    void sigmoidBinaryCrossEntropy() {
        // hard and soft targets, rows of 4 labels
        float[] y = {1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0.5f, 0};
        checkLeaves("sigmoid BCE", 1, in -> t -> Grad.sigmoidBce(t, in[0], y, 3.0).tensor(), new int[][] {{3, 4}});
    }

    @Test
    void sigmoidBinaryCrossEntropyValueByHand() {
        // logit 0: log 2 whatever the target; logit 30 against 0: ≈ 30; logit −30 against 0: ≈ e^−30
        Tensor l = new Tensor(new float[] {0, 30, -30, 0}, 1, 4, true);
        Grad.Loss loss = Grad.sigmoidBce(new Tape(pool, false), l, new float[] {1, 0, 0, 0}, 2);
        assertThat(loss.sum()).isCloseTo(2 * Math.log(2) + 30 + Math.exp(-30), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(loss.tensor().data[0]).isCloseTo((float) ((2 * Math.log(2) + 30) / 2), org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void crossEntropyValueIsMeanNll() {
        Tensor l = new Tensor(new float[] {0, 0, 0, 0}, 2, 2, true);
        Grad.Loss loss = Grad.crossEntropy(new Tape(pool, false), l, new int[] {0, 1}, 2);
        assertThat(loss.sum()).isCloseTo(2 * Math.log(2), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(loss.tensor().data[0]).isCloseTo((float) Math.log(2), org.assertj.core.data.Offset.offset(1e-7f));
    }
}
