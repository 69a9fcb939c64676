package dev.smelt.model.arch;

import dev.smelt.model.KvCache;
import dev.smelt.model.SequenceBatch;
import dev.smelt.model.WeightMatrix;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.Nn;
import dev.smelt.tensor.ops.VectorOps;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link DecoderOps} for inference: the tensor module's kernels over one forward step's
 * {@link SequenceBatch} (row b of every value is batch row b, at its sequence's position), keys and
 * values appended to each row's {@link KvCache}. Buffers come from a per-step pool and go back to it
 * at the end of each block ({@link #endBlock}), so a step allocates about one block's worth of
 * activations, as the fixed scratch of earlier versions did, however many ops the block has.
 *
 * <p>Not thread-safe: one instance per forward call (kernels parallelize on the pool inside each op).
 */
final class KernelOps implements DecoderOps<KernelOps.Act> {

    /** A [rows, cols] row-major activation. */
    static final class Act {
        final float[] data;
        final int rows;
        final int cols;

        Act(float[] data, int rows, int cols) {
            this.data = data;
            this.rows = rows;
            this.cols = cols;
        }
    }

    private final ThreadPool pool;
    private final SequenceBatch batch;
    private final float eps;
    private final DecoderModel.MatmulObserver observer;
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final List<float[]> live = new ArrayList<>();

    KernelOps(ThreadPool pool, SequenceBatch batch, float normEps, DecoderModel.MatmulObserver observer) {
        this.pool = pool;
        this.batch = batch;
        this.eps = normEps;
        this.observer = observer;
    }

    /** A buffer of [rows, cols] whose contents the caller overwrites entirely. */
    private Act take(int rows, int cols) {
        int len = rows * cols;
        ArrayDeque<float[]> q = free.get(len);
        float[] a = q == null || q.isEmpty() ? new float[len] : q.pop();
        live.add(a);
        return new Act(a, rows, cols);
    }

    /** Returns every buffer taken since the last call to the pool, except {@code keep}'s (the residual stream). */
    void endBlock(Act keep) {
        for (float[] a : live) {
            if (a != keep.data) {
                free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
            }
        }
        live.clear();
        live.add(keep.data);
    }

    @Override
    public Act embed(WeightMatrix table, float scale) {
        int n = batch.size();
        int dim = table.cols();
        Act x = take(n, dim);
        for (int b = 0; b < n; b++) {
            table.row(batch.token(b), x.data, b * dim);
            if (scale != 1f) {
                for (int i = b * dim; i < (b + 1) * dim; i++) {
                    x.data[i] *= scale;
                }
            }
        }
        return x;
    }

    @Override
    public Act rmsNorm(Act x, float[] weight, int group) {
        Act y = take(x.rows, x.cols);
        for (int o = 0; o < x.data.length; o += group) {
            Nn.rmsNorm(x.data, o, weight, eps, y.data, o, group);
        }
        return y;
    }

    @Override
    public Act linear(Act x, Proj p) {
        DecoderModel.MatmulObserver o = observer;
        if (o != null) {
            o.onMatmul(p.weight().name(), x.data, x.rows, x.cols);
        }
        Act y = take(x.rows, p.rows());
        p.weight().matmul(pool, x.data, x.rows, y.data, batch);
        float[] bias = p.bias();
        if (bias != null) {
            for (int b = 0; b < x.rows; b++) {
                VectorOps.axpy(1f, bias, 0, y.data, b * y.cols, y.cols);
            }
        }
        return y;
    }

    @Override
    public List<Act> split(Act x, int... widths) {
        List<Act> out = new ArrayList<>(widths.length);
        int off = 0;
        for (int w : widths) {
            Act y = take(x.rows, w);
            for (int b = 0; b < x.rows; b++) {
                System.arraycopy(x.data, b * x.cols + off, y.data, b * w, w);
            }
            out.add(y);
            off += w;
        }
        if (off != x.cols) {
            throw new IllegalArgumentException("split widths sum to " + off + ", the value has " + x.cols + " columns");
        }
        return out;
    }

    @Override
    public Act rope(Act x, AttentionSpec.RopeSpec r) {
        Act y = take(x.rows, x.cols);
        System.arraycopy(x.data, 0, y.data, 0, x.data.length);
        int heads = x.cols / r.headDim();
        for (int b = 0; b < x.rows; b++) {
            r.rope().apply(y.data, b * x.cols, heads, r.headDim(), batch.position(b));
        }
        return y;
    }

    /** Appends k and v to the caches (rounded to half precision for an F16 cache, as are the queries) and attends. */
    @Override
    public Act attention(Act q, Act k, Act v, AttentionSpec spec) {
        int n = batch.size();
        int kvDim = spec.kvDim();
        int l = spec.layer();
        Act qs = q;
        for (int b = 0; b < n; b++) {
            KvCache c = batch.cache(b);
            int pos = batch.position(b);
            System.arraycopy(k.data, b * kvDim, c.keys(l), pos * kvDim, kvDim);
            System.arraycopy(v.data, b * kvDim, c.values(l), pos * kvDim, kvDim);
            if (c.f16()) {
                if (qs == q) {
                    qs = take(q.rows, q.cols);
                    System.arraycopy(q.data, 0, qs.data, 0, q.data.length);
                }
                roundToHalf(c.keys(l), pos * kvDim, kvDim);
                roundToHalf(c.values(l), pos * kvDim, kvDim);
                roundToHalf(qs.data, b * q.cols, q.cols);
            }
        }
        Act out = take(n, spec.qDim());
        Attention.compute(pool, spec, qs.data, batch, out.data);
        return out;
    }

    private static void roundToHalf(float[] a, int off, int n) {
        for (int i = off; i < off + n; i++) {
            a[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
        }
    }

    @Override
    public Act gated(Act gate, Act up, Activation act) {
        Act y = take(gate.rows, gate.cols);
        int len = gate.data.length;
        if (act == Activation.SILU) {
            VectorOps.swiglu(gate.data, 0, up.data, 0, y.data, 0, len);
        } else {
            for (int i = 0; i < len; i++) {
                y.data[i] = act.apply(gate.data[i]) * up.data[i];
            }
        }
        return y;
    }

    @Override
    public Act add(Act a, Act b) {
        Act y = take(a.rows, a.cols);
        for (int i = 0; i < y.data.length; i++) {
            y.data[i] = a.data[i] + b.data[i];
        }
        return y;
    }

    /** The rows of x that want logits, in batch order. */
    Act logitRows(Act x) {
        int rows = batch.logitRows();
        Act y = take(rows, x.cols);
        for (int b = 0, r = 0; b < batch.size(); b++) {
            if (batch.wantsLogits(b)) {
                System.arraycopy(x.data, b * x.cols, y.data, r++ * x.cols, x.cols);
            }
        }
        return y;
    }
}
