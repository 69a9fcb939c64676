package dev.smelt.train.autograd;

import dev.smelt.model.WeightMatrix;
import dev.smelt.model.encoder.EncoderOps;
import dev.smelt.tensor.PackedGemm;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.FastExp;
import dev.smelt.tensor.ops.Nn;
import dev.smelt.tensor.ops.Rope;
import dev.smelt.tensor.ops.VectorOps;
import java.util.SplittableRandom;

/**
 * Every differentiable op of the trainer with its gradient rule, in one place. Each op computes its
 * forward exactly as inference does (the model module's kernels: {@code MatMul}, {@link Nn},
 * {@link Rope}) and pushes a closure onto the tape that turns the output gradient into input (and
 * LoRA parameter) gradients. Notation: x [n, in] row-major activations, dy = ∂loss/∂y.
 * Frozen tensors (base weights, norms, biases, embeddings) get no gradient.
 * Stateless, thread-safe (a tape and its tensors are not).
 */
public final class Grad {
    /** Gated FFN activations: SwiGLU (llama, qwen) and GeGLU with tanh GELU (gemma). */
    public enum Gate { SILU, GELU_TANH }

    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    private static final double GELU_A = 0.044715;

    private Grad() {
    }

    /** A range of rows [from, to). */
    @FunctionalInterface
    interface Rows {
        void run(int from, int to);
    }

    /** Element-wise work below this many values stays on the calling thread (a pool round trip costs more). */
    static final int PARALLEL_MIN_VALUES = 32_768;

    /**
     * Runs {@code body} over [0, n) in contiguous row ranges, in parallel when the work is large enough. For
     * row-wise and element-wise rules only: every value is computed by exactly one range, in the same way
     * whatever the split, so results do not depend on the thread count.
     */
    static void forRows(ThreadPool pool, int n, long values, Rows body) {
        int tasks = values < PARALLEL_MIN_VALUES || pool.threads() == 1 ? 1 : Math.min(n, pool.threads() * 4);
        if (tasks <= 1) {
            body.run(0, n);
            return;
        }
        pool.parallelFor(tasks, t -> body.run((int) ((long) n * t / tasks), (int) ((long) n * (t + 1) / tasks)));
    }

    /** y[i] = table[tokens[i]]. Frozen table: no gradient. */
    public static Tensor embedding(Tape tape, WeightMatrix table, int[] tokens, int n) {
        int dim = table.cols();
        float[] y = new float[n * dim];
        for (int i = 0; i < n; i++) {
            table.row(tokens[i], y, i * dim);
        }
        return new Tensor(y, n, dim, false);
    }

    /**
     * y = x·Wᵀ + bias + scale·(drop(x)·Aᵀ)·Bᵀ, W [out, in] frozen in any format, A [r, in], B [out, r].
     * Rules, with u = drop(x)·Aᵀ [n, r]: dB += scale·dyᵀ·u; du = scale·dy·B; dA += duᵀ·drop(x);
     * dx += dy·W + (du·A) ⊙ mask/(1−p). dy·W runs through {@link FrozenMatmul} (panels decoded on the fly, never a full
     * F32 W). Dropout masks come from {@code dropoutSeed}, so a recomputation draws the same mask.
     *
     * @param lora null for a plain frozen projection
     */
    public static Tensor linear(Tape tape, WeightMatrix w, float[] bias, LoraParam lora, float scale, Tensor x,
                                float dropout, long dropoutSeed) {
        if (x.cols != w.cols()) {
            throw new IllegalArgumentException(w.name() + ": input has " + x.cols + " features, weight expects " + w.cols());
        }
        ThreadPool pool = tape.pool();
        int n = x.rows;
        int out = w.rows();
        float[] y = new float[n * out];
        if (bias != null) {
            for (int b = 0; b < n; b++) {
                System.arraycopy(bias, 0, y, b * out, out);
            }
        }
        float[] mask = null;
        float[] xd = x.data;
        float[] u = null;
        if (lora != null) {
            int r = lora.rank;
            if (dropout > 0) {
                mask = dropoutMask(n * x.cols, dropout, dropoutSeed);
                xd = new float[x.data.length];
                for (int i = 0; i < xd.length; i++) {
                    xd[i] = x.data[i] * mask[i];
                }
            }
            u = new float[n * r];
            Dense.abT(pool, xd, n, x.cols, lora.a(), r, u);
            for (int i = 0; i < u.length; i++) {
                u[i] *= scale;
            }
        }
        // bias first, then x·Wᵀ, then the LoRA delta u·Bᵀ: one chain per output element
        FrozenMatmul.forwardAccumulate(pool, w, x.data, n, y, u, lora == null ? null : lora.b(), lora == null ? 0 : lora.rank);
        Tensor yt = new Tensor(y, n, out, true);
        float[] fxd = xd;
        float[] fus = u;
        float[] fmask = mask;
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            if (lora != null) {
                int r = lora.rank;
                float[] du = new float[n * r];
                Dense.accAB(pool, dy, n, out, lora.b(), r, du);
                for (int i = 0; i < du.length; i++) {
                    du[i] *= scale;
                }
                // dB and dA as pieces of the frozen product's parallel loop (one join for the whole rule)
                int tb = Dense.accATBTasks(out, r);
                int ta = Dense.accATBTasks(r, x.cols);
                java.util.function.IntConsumer grads = e -> {
                    if (e < tb) {
                        Dense.accATBTask(dy, n, out, fus, r, lora.gradB, e);
                    } else {
                        Dense.accATBTask(du, n, r, fxd, x.cols, lora.gradA, e - tb);
                    }
                };
                if (x.requiresGrad && fmask == null) {
                    FrozenMatmul.backward(pool, w, dy, n, x.grad(), du, lora.a(), r, tb + ta, grads); // dy·W + du·A in one pass
                    return;
                }
                pool.parallelFor(tb + ta, grads);
                if (x.requiresGrad) {
                    float[] dxd = new float[n * x.cols];
                    Dense.accAB(pool, du, n, r, lora.a(), x.cols, dxd);
                    float[] gx = x.grad();
                    for (int i = 0; i < dxd.length; i++) {
                        gx[i] += dxd[i] * fmask[i];
                    }
                }
            }
            if (x.requiresGrad) {
                FrozenMatmul.backward(pool, w, dy, n, x.grad());
            }
        });
        return yt;
    }

    /**
     * One LoRA pair on rows [offset, offset + pair.out) of a fused projection's output, with its own dropout
     * seed (each slice is a separate PEFT module: its own mask).
     */
    public record LoraSlice(int offset, LoraParam lora, long dropoutSeed) {
    }

    /**
     * y = x·Wᵀ + bias with LoRA deltas on row slices of W (phi3's q/k/v of a fused qkv, gate/up of a fused
     * gate|up): y[:, o_s + j] += scale·(drop_s(x)·A_sᵀ·B_sᵀ)[j] for each slice s. A single slice covering
     * all rows is exactly {@link #linear(Tape, WeightMatrix, float[], LoraParam, float, Tensor, float, long)}
     * (its delta fused into the frozen product); otherwise the frozen product's rule and one rule for the
     * slices, with each slice's gradients as in that method.
     */
    public static Tensor linear(Tape tape, WeightMatrix w, float[] bias, java.util.List<LoraSlice> slices, float scale, Tensor x,
                                float dropout) {
        if (slices.isEmpty()) {
            return linear(tape, w, bias, null, 0, x, 0, 0);
        }
        if (slices.size() == 1 && slices.get(0).offset() == 0 && slices.get(0).lora().out() == w.rows()) {
            LoraSlice s = slices.get(0);
            return linear(tape, w, bias, s.lora(), scale, x, dropout, s.dropoutSeed());
        }
        return loraSlices(tape, linear(tape, w, bias, null, 0, x, 0, 0), x, slices, scale, dropout);
    }

    /** y + the slices' deltas (see above); rule: dy flows to y unchanged, and per slice dB, dA, dx. */
    static Tensor loraSlices(Tape tape, Tensor base, Tensor x, java.util.List<LoraSlice> slices, float scale, float dropout) {
        ThreadPool pool = tape.pool();
        int n = x.rows;
        int out = base.cols;
        float[] y = base.data.clone();
        int k = slices.size();
        float[][] xd = new float[k][];
        float[][] masks = new float[k][];
        float[][] us = new float[k][];
        for (int i = 0; i < k; i++) {
            LoraSlice s = slices.get(i);
            LoraParam lp = s.lora();
            if (lp.in() != x.cols || s.offset() < 0 || s.offset() + lp.out() > out) {
                throw new IllegalArgumentException("LoRA slice " + lp.pair.baseName() + " [" + lp.out() + ", " + lp.in() + "] at row " + s.offset()
                        + " does not fit a projection [" + out + ", " + x.cols + "]");
            }
            xd[i] = x.data;
            if (dropout > 0) {
                masks[i] = dropoutMask(n * x.cols, dropout, s.dropoutSeed());
                xd[i] = new float[x.data.length];
                for (int j = 0; j < xd[i].length; j++) {
                    xd[i][j] = x.data[j] * masks[i][j];
                }
            }
            int r = lp.rank;
            float[] u = new float[n * r];
            Dense.abT(pool, xd[i], n, x.cols, lp.a(), r, u);
            for (int j = 0; j < u.length; j++) {
                u[j] *= scale;
            }
            us[i] = u;
            float[] delta = new float[n * lp.out()];
            Dense.accAB(pool, u, n, r, Dense.transpose(lp.b(), lp.out(), r), lp.out(), delta);
            for (int b = 0; b < n; b++) {
                for (int j = 0; j < lp.out(); j++) {
                    y[b * out + s.offset() + j] += delta[b * lp.out() + j];
                }
            }
        }
        Tensor yt = new Tensor(y, n, out, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            base.accumulateGrad(dy);
            for (int i = 0; i < k; i++) {
                LoraSlice s = slices.get(i);
                LoraParam lp = s.lora();
                int r = lp.rank;
                int rows = lp.out();
                float[] dys = new float[n * rows]; // this slice's columns of dy
                for (int b = 0; b < n; b++) {
                    System.arraycopy(dy, b * out + s.offset(), dys, b * rows, rows);
                }
                Dense.accATB(pool, dys, n, rows, us[i], r, lp.gradB);
                float[] du = new float[n * r];
                Dense.accAB(pool, dys, n, rows, lp.b(), r, du);
                for (int j = 0; j < du.length; j++) {
                    du[j] *= scale;
                }
                Dense.accATB(pool, du, n, r, xd[i], x.cols, lp.gradA);
                if (x.requiresGrad) {
                    float[] dx = new float[n * x.cols];
                    Dense.accAB(pool, du, n, r, lp.a(), x.cols, dx);
                    float[] gx = x.grad();
                    for (int j = 0; j < dx.length; j++) {
                        gx[j] += masks[i] == null ? dx[j] : dx[j] * masks[i][j];
                    }
                }
            }
        });
        return yt;
    }

    /**
     * Column blocks of x of the given widths, in order (the outputs of a fused projection). Rule: each
     * block's gradient goes back to its columns of x.
     */
    public static java.util.List<Tensor> split(Tape tape, Tensor x, int... widths) {
        java.util.List<Tensor> parts = new java.util.ArrayList<>(widths.length);
        int off = 0;
        for (int w : widths) {
            float[] y = new float[x.rows * w];
            for (int b = 0; b < x.rows; b++) {
                System.arraycopy(x.data, b * x.cols + off, y, b * w, w);
            }
            Tensor yt = new Tensor(y, x.rows, w, x.requiresGrad);
            int o = off;
            tape.push(() -> {
                float[] dy = yt.gradOrNull();
                if (dy == null || !x.requiresGrad) {
                    return;
                }
                float[] dx = x.grad();
                for (int b = 0; b < x.rows; b++) {
                    for (int j = 0; j < w; j++) {
                        dx[b * x.cols + o + j] += dy[b * w + j];
                    }
                }
            });
            parts.add(yt);
            off += w;
        }
        if (off != x.cols) {
            throw new IllegalArgumentException("split widths sum to " + off + ", the tensor has " + x.cols + " columns");
        }
        return parts;
    }

    /** Inverted dropout: 0 with probability p, else 1/(1−p); deterministic in {@code seed}. */
    static float[] dropoutMask(int n, float p, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float keep = 1f / (1f - p);
        float[] m = new float[n];
        for (int i = 0; i < n; i++) {
            m[i] = rng.nextDouble() < p ? 0f : keep;
        }
        return m;
    }

    /**
     * RMSNorm over consecutive groups of {@code group} columns (group = cols for the block norms,
     * head_dim for qwen3's per-head q/k norms): y = x·inv·w, inv = 1/√(mean(x²) + eps).
     * Rule per group, with g = dy ⊙ w: dx = inv·g − x·inv³·(Σ g⊙x)/group.
     */
    public static Tensor rmsNorm(Tape tape, Tensor x, float[] w, float eps, int group) {
        if (x.cols % group != 0 || (w != null && w.length != group)) {
            throw new IllegalArgumentException("rmsNorm group " + group + " does not divide " + x.cols + " columns or match weight");
        }
        int groups = x.size() / group;
        float[] y = new float[x.size()];
        ThreadPool pool = tape.pool();
        forRows(pool, groups, x.size(), (g0, g1) -> {
            for (int gi = g0; gi < g1; gi++) {
                Nn.rmsNorm(x.data, gi * group, w, eps, y, gi * group, group);
            }
        });
        // a constant input (the token embeddings) needs no gradient, nor does anything computed only from it
        Tensor yt = new Tensor(y, x.rows, x.cols, x.requiresGrad);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            float[] dx = x.grad();
            forRows(pool, groups, 4L * x.size(), (g0, g1) -> rmsNormBackward(x.data, w, eps, group, dy, dx, g0, g1));
        });
        return yt;
    }

    /** The rule above for groups [g0, g1). */
    private static void rmsNormBackward(float[] xd, float[] w, float eps, int group, float[] dy, float[] dx, int g0, int g1) {
        for (int gi = g0; gi < g1; gi++) {
            int o = gi * group;
            double ss = 0;
            double dot = 0;
            for (int i = 0; i < group; i++) {
                double xv = xd[o + i];
                ss += xv * xv;
                dot += dy[o + i] * (w == null ? 1f : w[i]) * xv;
            }
            double inv = 1.0 / Math.sqrt(ss / group + eps);
            double k = inv * inv * inv * dot / group;
            for (int i = 0; i < group; i++) {
                double g = dy[o + i] * (w == null ? 1f : w[i]);
                dx[o + i] += (float) (inv * g - xd[o + i] * k);
            }
        }
    }

    /**
     * RoPE on every head of every row, row b at position pos[b], through the model module's {@link Rope}
     * (so training sees the rotation inference uses). A rotation's gradient is its transpose:
     * Rᵀ(θ)·(ga, gb) = swap(R(θ)·swap(ga, gb)), so backward swaps each rotated pair, applies the same
     * {@link Rope}, and swaps back. NORM pairs are (2i, 2i+1), NEOX pairs (i, i + ropeDim/2).
     */
    public static Tensor rope(Tape tape, Tensor x, Rope rope, Rope.Kind kind, int headDim, int[] pos) {
        int heads = x.cols / headDim;
        float[] y = x.data.clone();
        ThreadPool pool = tape.pool();
        forRows(pool, x.rows, 4L * x.size(), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                rope.apply(y, b * x.cols, heads, headDim, pos[b]);
            }
        });
        Tensor yt = new Tensor(y, x.rows, x.cols, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            float[] g = dy.clone();
            float[] dx = x.grad();
            forRows(pool, x.rows, 4L * x.size(), (b0, b1) -> {
                int o = b0 * x.cols;
                int len = (b1 - b0) * x.cols;
                swapPairs(g, o, (b1 - b0) * heads, headDim, rope.ropeDim(), kind);
                for (int b = b0; b < b1; b++) {
                    rope.apply(g, b * x.cols, heads, headDim, pos[b]);
                }
                swapPairs(g, o, (b1 - b0) * heads, headDim, rope.ropeDim(), kind);
                for (int i = o; i < o + len; i++) {
                    dx[i] += g[i];
                }
            });
        });
        return yt;
    }

    private static void swapPairs(float[] g, int off, int heads, int headDim, int ropeDim, Rope.Kind kind) {
        int half = ropeDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = kind == Rope.Kind.NORM ? base + 2 * i : base + i;
                int b = kind == Rope.Kind.NORM ? a + 1 : base + i + half;
                float t = g[a];
                g[a] = g[b];
                g[b] = t;
            }
        }
    }

    /**
     * Causal grouped-query attention with a document mask for packed batches: row t (query head h,
     * key/value head h / (heads/kvHeads)) attends rows s in [docStart[t], t], so packed examples never
     * see each other. S = scale·q·kᵀ, P = softmax(S), o = P·v. Rules per head and query row t:
     * dv[s] += P[t,s]·do[t]; dP[t,s] = do[t]·v[s]; dS = P ⊙ (dP − Σ_s P⊙dP); dq[t] += scale·Σ_s dS·k[s];
     * dk[s] += scale·dS[t,s]·q[t]. Blocked and parallel in {@link Attention} (scores recomputed in backward;
     * key/value gradients summed over each group's query heads in order: deterministic).
     *
     * @param q [n, heads·hd], k and v [n, kvHeads·hd], all roped already
     */
    public static Tensor attention(Tape tape, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int hd,
                                   int[] docStart, float scale) {
        return attention(tape, q, k, v, heads, kvHeads, hd, docStart, null, scale);
    }

    /**
     * Attention where row t attends rows s in [docStart[t], keyEnd[t]): with keyEnd = null the causal rule
     * above (keyEnd[t] = t + 1); with keyEnd[t] = the end of t's sequence, BERT's bidirectional attention
     * over packed sequences, which is exactly padding plus a padding mask without computing the padding.
     * Same gradient rules, summed over the row's key range.
     */
    public static Tensor attention(Tape tape, Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int hd,
                                   int[] docStart, int[] keyEnd, float scale) {
        int n = q.rows;
        if (heads % kvHeads != 0 || q.cols != heads * hd || k.cols != kvHeads * hd || v.cols != kvHeads * hd
                || k.rows != n || v.rows != n || docStart.length < n || keyEnd != null && keyEnd.length < n) {
            throw new IllegalArgumentException("attention shapes: q [" + q.rows + ", " + q.cols + "], k [" + k.rows + ", " + k.cols
                    + "], v [" + v.rows + ", " + v.cols + "] for " + heads + " heads, " + kvHeads + " kv heads, head_dim " + hd);
        }
        Attention.Shape sh = new Attention.Shape(n, heads, kvHeads, hd, docStart, keyEnd, scale);
        float[] out = new float[n * heads * hd];
        ThreadPool pool = tape.pool();
        Attention.forward(pool, q.data, k.data, v.data, sh, out);
        Tensor yt = new Tensor(out, n, heads * hd, true);
        tape.push(() -> {
            float[] dout = yt.gradOrNull();
            if (dout == null) {
                return;
            }
            Attention.backward(pool, q.data, k.data, v.data, sh, dout, q.requiresGrad ? q.grad() : null,
                    k.requiresGrad ? k.grad() : null, v.requiresGrad ? v.grad() : null);
        });
        return yt;
    }

    /**
     * y = act(gate) ⊙ up. Rules: dup = dy·act(gate); dgate = dy·up·act'(gate), with
     * silu'(g) = σ(g)·(1 + g·(1 − σ(g))) and, for tanh GELU with z = √(2/π)(g + a·g³),
     * gelu'(g) = ½(1 + tanh z) + ½·g·(1 − tanh² z)·√(2/π)(1 + 3a·g²). The SiLU gradient is evaluated in float with
     * {@link FastExp} (vectorized, deterministic); the forward keeps inference's {@link Nn#silu}.
     */
    public static Tensor gated(Tape tape, Tensor gate, Tensor up, Gate act) {
        float[] y = new float[gate.size()];
        ThreadPool pool = tape.pool();
        int cols = gate.cols;
        forRows(pool, gate.rows, 8L * y.length, (r0, r1) -> {
            for (int i = r0 * cols; i < r1 * cols; i++) {
                float g = gate.data[i];
                y[i] = (act == Gate.SILU ? Nn.silu(g) : Nn.geluTanh(g)) * up.data[i];
            }
        });
        Tensor yt = new Tensor(y, gate.rows, gate.cols, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            float[] dg = gate.grad();
            float[] du = up.grad();
            forRows(pool, gate.rows, 8L * dy.length, (r0, r1) -> gatedBackward(gate.data, up.data, dy, dg, du, act, r0 * cols, r1 * cols));
        });
        return yt;
    }

    /** The rules above for values [from, to). */
    private static void gatedBackward(float[] gd, float[] ud, float[] dy, float[] dg, float[] du, Gate act, int from, int to) {
        int i = from;
        if (act == Gate.SILU) {
            for (int bound = from + FS.loopBound(to - from); i < bound; i += FS.length()) {
                var g = jdk.incubator.vector.FloatVector.fromArray(FS, gd, i);
                var sig = jdk.incubator.vector.FloatVector.broadcast(FS, 1f).div(FastExp.exp(g.neg()).add(1f));
                var d = jdk.incubator.vector.FloatVector.fromArray(FS, dy, i);
                var a = g.mul(sig);
                var da = sig.mul(g.mul(sig.neg().add(1f)).add(1f));
                jdk.incubator.vector.FloatVector.fromArray(FS, du, i).add(d.mul(a)).intoArray(du, i);
                jdk.incubator.vector.FloatVector.fromArray(FS, dg, i).add(d.mul(jdk.incubator.vector.FloatVector.fromArray(FS, ud, i)).mul(da))
                        .intoArray(dg, i);
            }
            for (; i < to; i++) {
                float g = gd[i];
                float sig = 1f / (FastExp.exp(-g) + 1f);
                float a = g * sig;
                float da = sig * (g * (1f - sig) + 1f);
                du[i] += dy[i] * a;
                dg[i] += dy[i] * ud[i] * da;
            }
            return;
        }
        for (; i < to; i++) {
            float g = gd[i];
            double a;
            double da;
            if (act == Gate.SILU) {
                double sig = 1.0 / (1.0 + Math.exp(-g));
                a = g * sig;
                da = sig * (1 + g * (1 - sig));
            } else {
                double z = SQRT_2_OVER_PI * (g + GELU_A * g * g * g);
                double th = Math.tanh(z);
                a = 0.5 * g * (1 + th);
                da = 0.5 * (1 + th) + 0.5 * g * (1 - th * th) * SQRT_2_OVER_PI * (1 + 3 * GELU_A * g * g);
            }
            du[i] += (float) (dy[i] * a);
            dg[i] += (float) (dy[i] * ud[i] * da);
        }
    }

    /** Residual y = a + b. Rule: da += dy, db += dy. */
    public static Tensor add(Tape tape, Tensor a, Tensor b) {
        float[] y = new float[a.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = a.data[i] + b.data[i];
        }
        Tensor yt = new Tensor(y, a.rows, a.cols, a.requiresGrad || b.requiresGrad);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            if (a == b) {
                if (a.requiresGrad) {
                    a.accumulateGrad(dy);
                    a.accumulateGrad(dy);
                }
                return;
            }
            if (b.requiresGrad) {
                b.accumulateGrad(dy);
            }
            if (a.requiresGrad) {
                a.adoptGrad(dy); // dy is final here (every consumer of y ran before this rule): no copy
            }
        });
        return yt;
    }

    /** Soft-capping y = cap·tanh(x/cap). Rule: dx = dy·(1 − tanh²(x/cap)). */
    public static Tensor softcap(Tape tape, Tensor x, float cap) {
        float[] y = x.data.clone();
        Nn.softcap(y, 0, y.length, cap);
        Tensor yt = new Tensor(y, x.rows, x.cols, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            float[] dx = x.grad();
            for (int i = 0; i < dy.length; i++) {
                double th = Math.tanh(x.data[i] / (double) cap);
                dx[i] += (float) (dy[i] * (1 - th * th));
            }
        });
        return yt;
    }

    /** y[i] = x[rows[i]] (keeps only rows that are scored). Rule: dx[rows[i]] += dy[i]. */
    public static Tensor gatherRows(Tape tape, Tensor x, int[] rows) {
        int c = x.cols;
        float[] y = new float[rows.length * c];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(x.data, rows[i] * c, y, i * c, c);
        }
        Tensor yt = new Tensor(y, rows.length, c, x.requiresGrad);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            float[] dx = x.grad();
            for (int i = 0; i < rows.length; i++) {
                for (int j = 0; j < c; j++) {
                    dx[rows[i] * c + j] += dy[i * c + j];
                }
            }
        });
        return yt;
    }

    /**
     * Summed cross-entropy divided by {@code normalizer} (the target-token count of the whole
     * optimizer step, so gradient accumulation weighs every token equally): loss =
     * Σ_i (logsumexp(l_i) − l_i[target_i]) / N over logits [m, vocab]. Rule: dl_i = dloss·(softmax(l_i) − onehot(target_i))/N.
     * Exponentials by {@link FastExp}, their sum and the log in double.
     *
     * @return [1, 1] the loss; {@code data[0]} is the float value, the double sum is in the returned {@link Loss}
     */
    public static Loss crossEntropy(Tape tape, Tensor logits, int[] targets, double normalizer) {
        int m = logits.rows;
        int vocab = logits.cols;
        double[] nll = new double[m];
        float[] probs = new float[m * vocab]; // softmax rows, kept for backward (saves recomputing every exp)
        System.arraycopy(logits.data, 0, probs, 0, m * vocab);
        tape.pool().parallelFor(m, i -> nll[i] = softmaxNll(probs, i * vocab, vocab, targets[i]));
        double sum = sum(nll);
        Tensor yt = lossTensor(sum, normalizer);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !logits.requiresGrad) {
                return;
            }
            float g = (float) (dy[0] / normalizer);
            float[] dl = logits.grad();
            forRows(tape.pool(), m, (long) m * vocab, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    VectorOps.axpy(g, probs, i * vocab, dl, i * vocab, vocab);
                    dl[i * vocab + targets[i]] -= g;
                }
            });
        });
        return new Loss(yt, sum, m);
    }

    /**
     * Multi-label binary cross-entropy with logits (PyTorch's BCEWithLogitsLoss with reduction "sum", divided by
     * {@code normalizer}): loss = Σ_i Σ_j [softplus(l_ij) − y_ij·l_ij] / N over logits [m, c] and targets y ∈ {0, 1}
     * (or soft in [0, 1]), row-major like the logits. Rule: dl_ij = dloss·(σ(l_ij) − y_ij)/N.
     *
     * @return [1, 1] the loss; the double sum is in the returned {@link Loss} (tokens = rows)
     */
    public static Loss sigmoidBce(Tape tape, Tensor logits, float[] targets, double normalizer) {
        int m = logits.rows;
        int c = logits.cols;
        if (targets.length != m * c) {
            throw new IllegalArgumentException(targets.length + " targets for " + m + "x" + c + " logits");
        }
        double sum = 0;
        float[] sig = new float[m * c]; // kept for backward
        for (int i = 0; i < m * c; i++) {
            double z = logits.data[i];
            sum += bceWithLogit(z, targets[i]);
            sig[i] = (float) (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
        }
        Tensor yt = lossTensor(sum, normalizer);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !logits.requiresGrad) {
                return;
            }
            float g = (float) (dy[0] / normalizer);
            float[] dl = logits.grad();
            for (int i = 0; i < m * c; i++) {
                dl[i] += g * (sig[i] - targets[i]);
            }
        });
        return new Loss(yt, sum, m);
    }

    /** softplus(z) − y·z = −[y·log σ(z) + (1 − y)·log(1 − σ(z))], stable for large |z|. */
    public static double bceWithLogit(double z, double y) {
        return Math.max(z, 0) - y * z + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** Rows of logits that {@link #linearCrossEntropy} holds at once ([rows, vocab] floats). */
    static final int CE_ROWS = 256;

    /**
     * {@link #crossEntropy} of logits = x·Wᵀ (W frozen, [vocab, dim]) without keeping the logits: rows are
     * processed in chunks of {@link #CE_ROWS}; per chunk the logits, their softmax, the row losses and, when
     * recording, dx = (softmax − onehot)/N · W are computed during forward (the loss's own gradient is
     * known up to the factor dloss, applied in backward), so neither [m, vocab] logits nor probabilities
     * outlive their chunk. Same rule and same arithmetic as linear + crossEntropy with dloss = 1.
     *
     * @param x [m, dim] the final hidden states of the scored rows
     */
    public static Loss linearCrossEntropy(Tape tape, WeightMatrix w, Tensor x, int[] targets, double normalizer) {
        int m = x.rows;
        int dim = x.cols;
        int vocab = w.rows();
        if (dim != w.cols() || targets.length != m) {
            throw new IllegalArgumentException(w.name() + ": input [" + m + ", " + dim + "], weight [" + vocab + ", " + w.cols()
                    + "], " + targets.length + " targets");
        }
        ThreadPool pool = tape.pool();
        boolean grad = tape.recording() && x.requiresGrad;
        float[] dx = grad ? new float[m * dim] : null;
        double[] nll = new double[m];
        float g = (float) (1.0 / normalizer);
        int chunk = Math.max(1, Math.min(m, CE_ROWS));
        float[] z = new float[chunk * vocab]; // [rows, vocab]: logits, then probabilities, then their gradient
        float[] xs = new float[chunk * dim];
        float[] dxs = grad ? new float[chunk * dim] : null;
        for (int r0 = 0; r0 < m; r0 += chunk) {
            int rows = Math.min(chunk, m - r0);
            int base = r0;
            System.arraycopy(x.data, r0 * dim, xs, 0, rows * dim);
            FrozenMatmul.forward(pool, w, xs, rows, z);
            pool.parallelFor(rows, i -> {
                nll[base + i] = softmaxNll(z, i * vocab, vocab, targets[base + i]);
                if (grad) {
                    int o = i * vocab;
                    for (int j = 0; j < vocab; j++) {
                        z[o + j] *= g;
                    }
                    z[o + targets[base + i]] -= g;
                }
            });
            if (grad) {
                java.util.Arrays.fill(dxs, 0f);
                FrozenMatmul.backward(pool, w, z, rows, dxs);
                System.arraycopy(dxs, 0, dx, r0 * dim, rows * dim);
            }
        }
        double sum = sum(nll);
        Tensor yt = lossTensor(sum, normalizer);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || dx == null) {
                return;
            }
            if (dy[0] != 1f) {
                for (int i = 0; i < dx.length; i++) {
                    dx[i] *= dy[0];
                }
            }
            x.adoptGrad(dx);
        });
        return new Loss(yt, sum, m);
    }

    /** Softmax of one row of logits in place ({@link FastExp} exponentials); returns the row's NLL of {@code target}. */
    private static double softmaxNll(float[] z, int o, int vocab, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) {
            max = Math.max(max, z[o + j]);
        }
        float t = z[o + target];
        double s = FastExp.expShifted(z, o, vocab, max);
        float inv = (float) (1.0 / s);
        for (int j = 0; j < vocab; j++) {
            z[o + j] *= inv;
        }
        return max + Math.log(s) - t;
    }

    /**
     * Teacher top-k log-probabilities for some target rows, in CSR form: row i's entries are
     * {@code [offsets[i], offsets[i + 1])} of {@code ids} (student vocabulary ids, distinct within a
     * row) and {@code logprobs} (the teacher's log-probabilities, natural log). A row with no entries
     * has no teacher information and is trained by cross-entropy alone. Immutable by convention.
     *
     * @param offsets  [m + 1] row starts, non-decreasing, offsets[0] = 0
     * @param ids      [offsets[m]] token ids
     * @param logprobs [offsets[m]] teacher log-probabilities
     */
    public record TeacherTopK(int[] offsets, int[] ids, float[] logprobs) {
        public TeacherTopK {
            if (offsets.length == 0 || offsets[0] != 0 || ids.length != offsets[offsets.length - 1] || logprobs.length != ids.length) {
                throw new IllegalArgumentException("teacher top-k arrays are inconsistent: " + offsets.length + " offsets ending at "
                        + (offsets.length == 0 ? "-" : offsets[offsets.length - 1]) + ", " + ids.length + " ids, " + logprobs.length + " logprobs");
            }
        }

        public int rows() {
            return offsets.length - 1;
        }
    }

    /**
     * Cross-entropy mixed with token-level distillation on the teacher's top-k, as Axolotl's top-k
     * KD: for a row with teacher entries S, with z the student logits and T the temperature,
     * p = softmax over S of (teacher logprob / T) (the teacher's top-k renormalized), q = softmax over
     * S of (z / T) (the student restricted to S and renormalized), and the row's loss is
     * (1 − α)·CE + α·T²·KL(p ‖ q); rows without teacher entries keep plain CE. Summed over rows and
     * divided by {@code normalizer}. The T² keeps the KL gradient's size independent of T (Hinton et al.).
     * Backward: dCE/dz = softmax(z) − onehot, dKL/dz_j = (q_j − p_j)/T on S and 0 elsewhere.
     *
     * @param logits [m, vocab]
     * @param teacher m rows of teacher entries
     * @return the mixed loss; {@code sum} is the unnormalized sum of the mixed row losses
     */
    public static Loss distillCrossEntropy(Tape tape, Tensor logits, int[] targets, TeacherTopK teacher, float alpha, float temperature,
                                           double normalizer) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("distillation alpha must be in [0, 1], got " + alpha);
        }
        if (!(temperature > 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException("distillation temperature must be > 0, got " + temperature);
        }
        int m = logits.rows;
        int vocab = logits.cols;
        if (teacher.rows() != m || targets.length != m) {
            throw new IllegalArgumentException("teacher has " + teacher.rows() + " rows, targets " + targets.length + ", logits " + m);
        }
        double[] rowLoss = new double[m];
        float[] p = new float[teacher.ids().length]; // teacher renormalized, per entry
        float[] q = new float[teacher.ids().length]; // student restricted and renormalized, per entry
        float[] probs = new float[m * vocab];        // full softmax rows for the CE part
        tape.pool().parallelFor(m, i -> {
            int o = i * vocab;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, logits.data[o + j]);
            }
            double s = 0;
            for (int j = 0; j < vocab; j++) {
                double e = Math.exp(logits.data[o + j] - max);
                probs[o + j] = (float) e;
                s += e;
            }
            float inv = (float) (1.0 / s);
            for (int j = 0; j < vocab; j++) {
                probs[o + j] *= inv;
            }
            double nll = max + Math.log(s) - logits.data[o + targets[i]];
            int a = teacher.offsets()[i];
            int b = teacher.offsets()[i + 1];
            if (a == b) {
                rowLoss[i] = nll;
                return;
            }
            double kl = topKl(logits.data, o, teacher, a, b, temperature, p, q);
            rowLoss[i] = (1 - alpha) * nll + alpha * (double) temperature * temperature * kl;
        });
        double sum = sum(rowLoss);
        Tensor yt = lossTensor(sum, normalizer);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !logits.requiresGrad) {
                return;
            }
            float g = (float) (dy[0] / normalizer);
            float[] dl = logits.grad();
            for (int i = 0; i < m; i++) {
                int a = teacher.offsets()[i];
                int b = teacher.offsets()[i + 1];
                float w = a == b ? g : (1 - alpha) * g;
                VectorOps.axpy(w, probs, i * vocab, dl, i * vocab, vocab);
                dl[i * vocab + targets[i]] -= w;
                float k = alpha * temperature * g; // α·T²·(1/T)
                for (int e = a; e < b; e++) {
                    dl[i * vocab + teacher.ids()[e]] += k * (q[e] - p[e]);
                }
            }
        });
        return new Loss(yt, sum, m);
    }

    /**
     * Per row, KL(teacher top-k renormalized ‖ student restricted to those tokens and renormalized) at
     * temperature T, the term {@link #distillCrossEntropy} trains; NaN for rows without teacher entries.
     *
     * @param logits [m, vocab]
     */
    public static double[] teacherKl(Tensor logits, TeacherTopK teacher, float temperature) {
        if (teacher.rows() != logits.rows) {
            throw new IllegalArgumentException("teacher has " + teacher.rows() + " rows, logits " + logits.rows);
        }
        double[] out = new double[logits.rows];
        float[] p = new float[teacher.ids().length];
        float[] q = new float[teacher.ids().length];
        for (int i = 0; i < out.length; i++) {
            int a = teacher.offsets()[i];
            int b = teacher.offsets()[i + 1];
            out[i] = a == b ? Double.NaN : topKl(logits.data, i * logits.cols, teacher, a, b, temperature, p, q);
        }
        return out;
    }

    /** KL(p ‖ q) over entries [a, b) of one row; fills p and q there. */
    private static double topKl(float[] z, int o, TeacherTopK t, int a, int b, float temperature, float[] p, float[] q) {
        double tMax = Double.NEGATIVE_INFINITY;
        double sMax = Double.NEGATIVE_INFINITY;
        for (int e = a; e < b; e++) {
            tMax = Math.max(tMax, t.logprobs()[e] / (double) temperature);
            sMax = Math.max(sMax, z[o + t.ids()[e]] / (double) temperature);
        }
        double tSum = 0;
        double sSum = 0;
        for (int e = a; e < b; e++) {
            tSum += Math.exp(t.logprobs()[e] / (double) temperature - tMax);
            sSum += Math.exp(z[o + t.ids()[e]] / (double) temperature - sMax);
        }
        double tLse = tMax + Math.log(tSum);
        double sLse = sMax + Math.log(sSum);
        double kl = 0;
        for (int e = a; e < b; e++) {
            double lp = t.logprobs()[e] / (double) temperature - tLse;
            double lq = z[o + t.ids()[e]] / (double) temperature - sLse;
            double pe = Math.exp(lp);
            p[e] = (float) pe;
            q[e] = (float) Math.exp(lq);
            kl += pe * (lp - lq);
        }
        return kl;
    }

    // ---- BERT encoder rules (trainable weights: W, biases and LayerNorm parameters are Tensors) ----

    /** 1/√(2π), the normal density's constant in GELU's derivative. */
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double INV_SQRT2 = 0.7071067811865476;

    /**
     * y = x·Wᵀ with a trainable W [out, in] (full fine-tuning), all three products through the encoder's
     * {@link PackedGemm} kernel: forward with W packed as inference packs it; dx += dy·W with W packed
     * transposed; dW += dyᵀ·x as a product of dyᵀ [out, n] with x packed transposed.
     *
     * @param packed   {@code PackedGemm.pack(W, out, in)} when the caller packed it once per step, else null
     * @param packedT  {@code PackedGemm.packTransposed(W, out, in)} (W as [k = out, n = in]), or null
     */
    public static Tensor dense(Tape tape, Tensor x, Tensor w, float[] packed, float[] packedT) {
        int n = x.rows;
        int in = w.cols;
        int out = w.rows;
        if (x.cols != in) {
            throw new IllegalArgumentException("dense: input has " + x.cols + " features, weight [" + out + ", " + in + "] expects " + in);
        }
        ThreadPool pool = tape.pool();
        float[] wp = packed != null ? packed : PackedGemm.pack(w.data, out, in);
        float[] y = new float[n * out];
        PackedGemm.multiply(pool, x.data, n, in, wp, out, null, y);
        Tensor yt = new Tensor(y, n, out, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            if (x.requiresGrad) {
                float[] wt = packedT != null ? packedT : PackedGemm.packTransposed(w.data, out, in);
                float[] dx = new float[n * in];
                PackedGemm.multiply(pool, dy, n, out, wt, in, null, dx);
                addInto(x.grad(), dx);
            }
            if (w.requiresGrad) {
                float[] dyT = Dense.transpose(dy, n, out);                // [out, n]
                float[] xp = PackedGemm.packTransposed(x.data, n, in);    // x as [k = n, in]
                float[] dw = new float[out * in];
                PackedGemm.multiply(pool, dyT, out, n, xp, in, null, dw);
                addInto(w.grad(), dw);
            }
        });
        return yt;
    }

    private static void addInto(float[] acc, float[] d) {
        for (int i = 0; i < d.length; i++) {
            acc[i] += d[i];
        }
    }

    /** y[r] = x[r] + b for every row, b [1, cols]. Rules: dx += dy; db += Σ_r dy[r]. */
    public static Tensor bias(Tape tape, Tensor x, Tensor b) {
        int c = x.cols;
        if (b.size() != c) {
            throw new IllegalArgumentException("bias has " + b.size() + " values, rows have " + c);
        }
        float[] y = x.data.clone();
        for (int r = 0; r < x.rows; r++) {
            VectorOps.axpy(1f, b.data, 0, y, r * c, c);
        }
        Tensor yt = new Tensor(y, x.rows, c, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            if (x.requiresGrad) {
                addInto(x.grad(), dy);
            }
            if (b.requiresGrad) {
                float[] db = b.grad();
                for (int r = 0; r < x.rows; r++) {
                    VectorOps.axpy(1f, dy, r * c, db, 0, c);
                }
            }
        });
        return yt;
    }

    /**
     * LayerNorm per row with weight and bias [1, cols], forward by the encoder's own {@link EncoderOps#layerNorm}
     * (so training sees inference's numbers): x̂ = (x − μ)·inv, inv = 1/√(var + eps), y = x̂⊙w + b. Rules per
     * row, with g = dy⊙w: dx = inv·(g − mean(g) − x̂·mean(g⊙x̂)); dw += dy⊙x̂; db += dy. Statistics in double.
     */
    public static Tensor layerNorm(Tape tape, Tensor x, Tensor w, Tensor b, float eps) {
        int c = x.cols;
        if (w.size() != c || b.size() != c) {
            throw new IllegalArgumentException("layerNorm over " + c + " columns, weight " + w.size() + ", bias " + b.size());
        }
        float[] y = x.data.clone();
        for (int r = 0; r < x.rows; r++) {
            EncoderOps.layerNorm(y, r * c, c, w.data, b.data, eps);
        }
        Tensor yt = new Tensor(y, x.rows, c, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            float[] dx = x.requiresGrad ? x.grad() : null;
            float[] dw = w.requiresGrad ? w.grad() : null;
            float[] db = b.requiresGrad ? b.grad() : null;
            double[] xh = new double[c];
            for (int r = 0; r < x.rows; r++) {
                int o = r * c;
                double mean = 0;
                for (int i = 0; i < c; i++) {
                    mean += x.data[o + i];
                }
                mean /= c;
                double var = 0;
                for (int i = 0; i < c; i++) {
                    double d = x.data[o + i] - mean;
                    var += d * d;
                }
                double inv = 1.0 / Math.sqrt(var / c + eps);
                double mg = 0;
                double mgx = 0;
                for (int i = 0; i < c; i++) {
                    xh[i] = (x.data[o + i] - mean) * inv;
                    double g = dy[o + i] * w.data[i];
                    mg += g;
                    mgx += g * xh[i];
                    if (dw != null) {
                        dw[i] += (float) (dy[o + i] * xh[i]);
                    }
                    if (db != null) {
                        db[i] += dy[o + i];
                    }
                }
                mg /= c;
                mgx /= c;
                if (dx != null) {
                    for (int i = 0; i < c; i++) {
                        dx[o + i] += (float) (inv * (dy[o + i] * w.data[i] - mg - xh[i] * mgx));
                    }
                }
            }
        });
        return yt;
    }

    /**
     * GELU in BERT's exact form x·Φ(x), forward by the encoder's vector {@link EncoderOps#gelu(float[], int, int)}.
     * Rule: dx = dy·(Φ(x) + x·φ(x)), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^{−x²/2}/√(2π).
     */
    public static Tensor gelu(Tape tape, Tensor x) {
        float[] y = x.data.clone();
        for (int r = 0; r < x.rows; r++) {
            EncoderOps.gelu(y, r * x.cols, x.cols);
        }
        Tensor yt = new Tensor(y, x.rows, x.cols, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            geluBackward(x.data, y, dy, x.grad(), dy.length);
        });
        return yt;
    }

    private static final jdk.incubator.vector.VectorSpecies<Float> FS = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
    /** Below this |x|, Φ(x) comes from its Taylor series rather than gelu(x)/x (which loses digits near 0). */
    private static final float GELU_SMALL = 1e-3f;

    /**
     * dx += dy·(Φ(x) + x·φ(x)) with Φ(x) = gelu(x)/x read off the forward output (no erf in backward) and
     * φ by {@link FastExp} (the Vector API's EXP gives other bits once C2 compiles it, which broke the
     * encoder trainer's run-to-run determinism). {@link #geluBackwardReference} is the scalar oracle.
     */
    static void geluBackward(float[] x, float[] y, float[] dy, float[] dx, int n) {
        int i = 0;
        int bound = FS.loopBound(n);
        var small = jdk.incubator.vector.FloatVector.broadcast(FS, GELU_SMALL);
        for (; i < bound; i += FS.length()) {
            var v = jdk.incubator.vector.FloatVector.fromArray(FS, x, i);
            var yv = jdk.incubator.vector.FloatVector.fromArray(FS, y, i);
            var near0 = v.abs().compare(jdk.incubator.vector.VectorOperators.LT, small);
            var taylor = v.mul((float) INV_SQRT_2PI).add(0.5f);
            var safe = v.blend(1f, near0);
            var cdf = yv.div(safe).blend(taylor, near0);
            var pdf = FastExp.exp(v.mul(v).mul(-0.5f)).mul((float) INV_SQRT_2PI);
            var g = jdk.incubator.vector.FloatVector.fromArray(FS, dy, i).mul(v.fma(pdf, cdf));
            jdk.incubator.vector.FloatVector.fromArray(FS, dx, i).add(g).intoArray(dx, i);
        }
        for (; i < n; i++) {
            double v = x[i];
            double cdf = Math.abs(x[i]) < GELU_SMALL ? 0.5 + v * INV_SQRT_2PI : y[i] / v;
            dx[i] += (float) (dy[i] * (cdf + v * INV_SQRT_2PI * FastExp.exp((float) (-0.5 * v * v))));
        }
    }

    /** Scalar oracle of {@link #geluBackward}: Φ through erf, in double. */
    static void geluBackwardReference(float[] x, float[] dy, float[] dx, int n) {
        for (int i = 0; i < n; i++) {
            double v = x[i];
            double cdf = 0.5 * (1 + EncoderOps.erf(v * INV_SQRT2));
            dx[i] += (float) (dy[i] * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v)));
        }
    }

    /** Inverted dropout y = x⊙m, m ∈ {0, 1/(1−p)} drawn from {@code seed}. Rule: dx += dy⊙m. p = 0 is the identity. */
    public static Tensor dropout(Tape tape, Tensor x, float p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p == 0) {
            return x;
        }
        float[] m = dropoutMask(x.size(), p, seed);
        float[] y = new float[x.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = x.data[i] * m[i];
        }
        Tensor yt = new Tensor(y, x.rows, x.cols, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            float[] dx = x.grad();
            for (int i = 0; i < dy.length; i++) {
                dx[i] += dy[i] * m[i];
            }
        });
        return yt;
    }

    /**
     * Sentence pooling of packed sequences (sequence s = rows [starts[s], starts[s+1])): MEAN averages its
     * rows (rule: dx[t] += dy[s]/len), CLS takes its first row (rule: dx[starts[s]] += dy[s]).
     *
     * @return [sequences, cols]
     */
    public static Tensor pool(Tape tape, Tensor x, int[] starts, dev.smelt.model.encoder.Pooling mode) {
        int c = x.cols;
        int seqs = starts.length - 1;
        float[] y = new float[seqs * c];
        for (int s = 0; s < seqs; s++) {
            int len = starts[s + 1] - starts[s];
            if (len <= 0) {
                throw new IllegalArgumentException("sequence " + s + " is empty");
            }
            if (mode == dev.smelt.model.encoder.Pooling.CLS) {
                System.arraycopy(x.data, starts[s] * c, y, s * c, c);
            } else {
                // the same sum-then-scale order as BertModel.encode
                for (int t = starts[s]; t < starts[s + 1]; t++) {
                    VectorOps.axpy(1f, x.data, t * c, y, s * c, c);
                }
                float inv = 1f / len;
                for (int i = 0; i < c; i++) {
                    y[s * c + i] *= inv;
                }
            }
        }
        Tensor yt = new Tensor(y, seqs, c, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            float[] dx = x.grad();
            for (int s = 0; s < seqs; s++) {
                if (mode == dev.smelt.model.encoder.Pooling.CLS) {
                    VectorOps.axpy(1f, dy, s * c, dx, starts[s] * c, c);
                } else {
                    float inv = 1f / (starts[s + 1] - starts[s]);
                    for (int t = starts[s]; t < starts[s + 1]; t++) {
                        VectorOps.axpy(inv, dy, s * c, dx, t * c, c);
                    }
                }
            }
        });
        return yt;
    }

    /**
     * BERT's input embeddings of packed sequences: y[t] = word[id_t] + pos[p_t] + type[0] (p_t = position of
     * token t in its sequence; single-sentence inputs use token type 0), summed in inference's order. The
     * word table is a frozen constant (see the trainer for why); rules: dpos[p_t] += dy[t], dtype[0] += dy[t].
     *
     * @param word [vocab, hidden]
     */
    public static Tensor bertEmbeddings(Tape tape, float[] word, Tensor pos, Tensor type, int[][] seqs, int[] starts) {
        int h = pos.cols;
        int vocab = word.length / h;
        float[] y = new float[starts[seqs.length] * h];
        for (int s = 0; s < seqs.length; s++) {
            if (seqs[s].length > pos.rows) {
                throw new IllegalArgumentException("sequence " + s + " has " + seqs[s].length + " tokens, positions " + pos.rows);
            }
            for (int p = 0; p < seqs[s].length; p++) {
                int id = seqs[s][p];
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("sequence " + s + " position " + p + ": token id " + id + " outside [0, " + vocab + ")");
                }
                int o = (starts[s] + p) * h;
                for (int i = 0; i < h; i++) {
                    y[o + i] = word[id * h + i] + pos.data[p * h + i] + type.data[i];
                }
            }
        }
        Tensor yt = new Tensor(y, starts[seqs.length], h, true);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null) {
                return;
            }
            float[] dp = pos.requiresGrad ? pos.grad() : null;
            float[] dt = type.requiresGrad ? type.grad() : null;
            for (int s = 0; s < seqs.length; s++) {
                for (int p = 0; p < seqs[s].length; p++) {
                    int o = (starts[s] + p) * h;
                    if (dp != null) {
                        VectorOps.axpy(1f, dy, o, dp, p * h, h);
                    }
                    if (dt != null) {
                        VectorOps.axpy(1f, dy, o, dt, 0, h);
                    }
                }
            }
        });
        return yt;
    }

    /**
     * SetFit's cosine-similarity loss over sentence pairs (sentence-transformers' {@code CosineSimilarityLoss}):
     * loss = Σ_p (cos(x[a_p], x[b_p]) − target_p)² / N, with cos(u, v) = u·v / (|u|·|v|) over rows of x
     * [sentences, dim]. Rule, with c = cos(u, v) and g = dloss·2(c − t)/N: du += g·(v/(|u||v|) − c·u/|u|²), dv
     * symmetric. Norms are floored at {@link #COS_NORM_FLOOR} so a zero row gives zero gradient instead of NaN.
     *
     * @param a      first sentence (row of x) of each pair
     * @param b      second sentence of each pair
     * @param target wanted cosine of each pair (1 same label, 0 different, as SetFit)
     * @return [1, 1] the loss; the double sum of squared errors is in the returned {@link Loss} (tokens = pairs)
     */
    public static Loss cosineMse(Tape tape, Tensor x, int[] a, int[] b, float[] target, double normalizer) {
        if (a.length != b.length || a.length != target.length) {
            throw new IllegalArgumentException(a.length + " first, " + b.length + " second sentences and " + target.length + " targets");
        }
        int d = x.cols;
        int m = a.length;
        double[] cos = new double[m];
        double[] nu = new double[m];
        double[] nv = new double[m];
        double sum = 0;
        for (int p = 0; p < m; p++) {
            if (a[p] < 0 || a[p] >= x.rows || b[p] < 0 || b[p] >= x.rows) {
                throw new IllegalArgumentException("pair " + p + " (" + a[p] + ", " + b[p] + ") outside " + x.rows + " rows");
            }
            double uv = 0;
            double uu = 0;
            double vv = 0;
            for (int i = 0; i < d; i++) {
                double u = x.data[a[p] * d + i];
                double v = x.data[b[p] * d + i];
                uv += u * v;
                uu += u * u;
                vv += v * v;
            }
            nu[p] = Math.max(Math.sqrt(uu), COS_NORM_FLOOR);
            nv[p] = Math.max(Math.sqrt(vv), COS_NORM_FLOOR);
            cos[p] = uv / (nu[p] * nv[p]);
            double e = cos[p] - target[p];
            sum += e * e;
        }
        Tensor yt = lossTensor(sum, normalizer);
        tape.push(() -> {
            float[] dy = yt.gradOrNull();
            if (dy == null || !x.requiresGrad) {
                return;
            }
            float[] dx = x.grad();
            for (int p = 0; p < m; p++) {
                double g = dy[0] * 2 * (cos[p] - target[p]) / normalizer;
                int ou = a[p] * d;
                int ov = b[p] * d;
                double inv = 1 / (nu[p] * nv[p]);
                double su = cos[p] / (nu[p] * nu[p]);
                double sv = cos[p] / (nv[p] * nv[p]);
                for (int i = 0; i < d; i++) {
                    double u = x.data[ou + i];
                    double v = x.data[ov + i];
                    dx[ou + i] += (float) (g * (v * inv - su * u));
                    dx[ov + i] += (float) (g * (u * inv - sv * v));
                }
            }
        });
        return new Loss(yt, sum, m);
    }

    /** Smallest norm {@link #cosineMse} divides by (a pooled BERT vector's norm is of order 1–10). */
    static final double COS_NORM_FLOOR = 1e-12;

    /** The [1, 1] loss tensor sum / normalizer, as a float, that every loss here returns. */
    private static Tensor lossTensor(double sum, double normalizer) {
        return new Tensor(new float[] {(float) (sum / normalizer)}, 1, 1, true);
    }

    /** Σ v, added in index order. */
    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    /** A loss tensor [1, 1] with its exact double sum over {@code tokens} scored tokens. */
    public record Loss(Tensor tensor, double sum, int tokens) {
    }
}
