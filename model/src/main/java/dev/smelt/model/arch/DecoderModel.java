package dev.smelt.model.arch;

import dev.smelt.model.KvCache;
import dev.smelt.model.Linear;
import dev.smelt.model.LowRankLinear;
import dev.smelt.model.ModelConfig;
import dev.smelt.model.ModelException;
import dev.smelt.model.SequenceBatch;
import dev.smelt.model.WeightMatrix;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.Nn;
import dev.smelt.tensor.ops.Rope;
import dev.smelt.tensor.ops.VectorOps;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.UnaryOperator;

/**
 * A pre-norm transformer decoder evaluated in float32 over memory-mapped weights. Subclasses (one per
 * architecture, as in llama.cpp's {@code src/models/}) say which tensors a block has and which quirks
 * apply; this class runs the shared block: norm → attention → residual → norm → gated FFN → residual.
 *
 * <p>A forward call processes a batch of consecutive tokens of one sequence at once (matrix-matrix
 * products for prompts), appending their keys/values to the {@link KvCache}.
 *
 * <p>Thread-safety: the weights are immutable and shared; concurrent forward calls are safe on
 * different caches (each call parallelizes internally on the given pool, which serializes loops).
 */
public abstract class DecoderModel implements AutoCloseable {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    protected final GgufFile file;
    protected final ModelConfig config;
    protected final Layer[] layers;
    protected final WeightMatrix tokenEmbedding; // [vocab, dim]
    protected final WeightMatrix output;         // [vocab, dim] (token_embd when tied)
    protected final float[] outputNorm;          // [dim]
    private final Rope rope;
    private final Rope ropeSwa;
    private volatile MatmulObserver observer;

    /** Sees the input of every weight matmul inside the blocks (importance-matrix collection). */
    @FunctionalInterface
    public interface MatmulObserver {
        /** @param x [batch, cols] activations multiplied by weight {@code weightName} */
        void onMatmul(String weightName, float[] x, int batch, int cols);
    }

    /** Installs (or with null removes) the observer; it is called on the forward caller's thread. */
    public void setMatmulObserver(MatmulObserver o) {
        this.observer = o;
    }

    protected DecoderModel(GgufFile file, ModelConfig config) {
        this.file = file;
        this.config = config;
        this.tokenEmbedding = matrix("token_embd.weight", config.dim(), -1);
        GgufTensorInfo out = file.tensor("output.weight");
        this.output = out != null ? matrix("output.weight", config.dim(), config.vocab()) : tokenEmbedding;
        this.outputNorm = vector("output_norm.weight", config.dim());
        float[] freqFactors = optionalVector("rope_freqs.weight", config.ropeDim() / 2);
        this.rope = new Rope(ropeKind(), config.ropeDim(), config.ropeBase(), freqFactors, config.ropeScale());
        this.ropeSwa = new Rope(ropeKind(), config.ropeDim(), config.ropeBaseSwa(), freqFactors, 1f);
        this.layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = loadLayer(i);
        }
    }

    /**
     * Replaces block projections (q, k, v, fused qkv, o, gate, up, down) by {@code f(current)}: the
     * hook for LoRA deltas and low-rank factors. {@code f} must keep each projection's shape. Not
     * thread-safe: call before the model is shared.
     */
    public void transformLinears(UnaryOperator<Linear> f) {
        for (Layer w : layers) {
            w.wq = replace(f, w.wq);
            w.wk = replace(f, w.wk);
            w.wv = replace(f, w.wv);
            w.wqkv = replace(f, w.wqkv);
            w.wo = replace(f, w.wo);
            w.wGate = replace(f, w.wGate);
            w.wUp = replace(f, w.wUp);
            w.wDown = replace(f, w.wDown);
        }
    }

    private static Linear replace(UnaryOperator<Linear> f, Linear old) {
        if (old == null) {
            return null;
        }
        Linear n = f.apply(old);
        if (n == null || n.rows() != old.rows() || n.cols() != old.cols()) {
            throw new IllegalArgumentException("replacement for " + old.name() + " must keep shape [" + old.rows() + ", " + old.cols() + "]");
        }
        return n;
    }

    /** Loads block {@code i}'s tensors. */
    protected abstract Layer loadLayer(int i);

    /** NORM (adjacent pairs) or NEOX (halves). */
    protected abstract Rope.Kind ropeKind();

    protected Activation activation() {
        return Activation.SILU;
    }

    /** Multiplier applied to token embeddings (gemma: √dim). */
    protected float embeddingScale() {
        return 1f;
    }

    public ModelConfig config() {
        return config;
    }

    public GgufFile file() {
        return file;
    }

    /** A cache for up to {@code capacity} positions (clamped to at least 1). */
    public KvCache newCache(int capacity) {
        return new KvCache(config.layers(), Math.max(1, capacity), config.kvDim());
    }

    /** A cache that rounds keys/values to half precision like llama.cpp's default F16 KV cache. */
    public KvCache newCache(int capacity, boolean f16) {
        return new KvCache(config.layers(), Math.max(1, capacity), config.kvDim(), f16);
    }

    /**
     * Runs tokens[0..n) of one sequence at positions cache.length().. and appends them to the cache.
     *
     * @param allLogits true: return logits for every token [n, vocab]; false: only the last [vocab]
     * @throws ContextOverflowException when the cache cannot hold n more positions
     */
    public float[] forward(ThreadPool pool, int[] tokens, int n, KvCache cache, boolean allLogits) {
        if (n <= 0 || n > tokens.length) {
            throw new IllegalArgumentException("token count " + n + " must be in [1, " + tokens.length + "]");
        }
        SequenceBatch batch = new SequenceBatch();
        for (int b = 0; b < n; b++) {
            batch.add(cache, tokens[b], allLogits || b == n - 1);
        }
        return forward(pool, batch);
    }

    /**
     * One step over a batch of tokens from one or more sequences; every weight matrix is read once
     * for all of them. Appends each token's keys/values to its cache.
     *
     * @return logits of the rows marked in the batch, in batch order: [batch.logitRows(), vocab]
     * @throws ContextOverflowException when a sequence would exceed its cache
     */
    public float[] forward(ThreadPool pool, SequenceBatch batch) {
        int n = batch.size();
        if (n == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        int dim = config.dim();
        for (int b = 0; b < n; b++) {
            int t = batch.token(b);
            if (t < 0 || t >= tokenEmbedding.rows()) {
                throw new IllegalArgumentException("token id " + t + " at batch index " + b + " is outside the vocabulary [0, " + tokenEmbedding.rows() + ")");
            }
            if (batch.position(b) >= batch.cache(b).capacity()) {
                throw new ContextOverflowException(batch.position(b) + 1, batch.cache(b).capacity());
            }
        }
        float[] x = new float[n * dim]; // [n, dim] residual stream
        float scale = embeddingScale();
        for (int b = 0; b < n; b++) {
            tokenEmbedding.row(batch.token(b), x, b * dim);
            if (scale != 1f) {
                for (int i = 0; i < dim; i++) {
                    x[b * dim + i] *= scale;
                }
            }
        }
        BlockScratch s = new BlockScratch(config, n);
        for (int l = 0; l < layers.length; l++) {
            block(pool, l, layers[l], x, batch, s);
        }
        for (int b = 0; b < n; b++) {
            KvCache c = batch.cache(b);
            if (batch.position(b) + 1 > c.length()) {
                c.setLengthInternal(batch.position(b) + 1);
            }
        }
        int rows = batch.logitRows();
        float[] normed = new float[rows * dim];
        for (int b = 0, r = 0; b < n; b++) {
            if (batch.wantsLogits(b)) {
                Nn.rmsNorm(x, b * dim, outputNorm, config.normEps(), normed, r++ * dim, dim);
            }
        }
        float[] logits = new float[rows * output.rows()];
        if (rows > 0) {
            output.matmul(pool, normed, rows, logits);
        }
        if (config.finalSoftcap() > 0) {
            Nn.softcap(logits, 0, logits.length, config.finalSoftcap());
        }
        return logits;
    }

    private void block(ThreadPool pool, int l, Layer w, float[] x, SequenceBatch batch, BlockScratch s) {
        int n = batch.size();
        int dim = config.dim();
        int qDim = config.qDim();
        int kvDim = config.kvDim();
        int hd = config.headDim();
        float eps = config.normEps();
        for (int b = 0; b < n; b++) {
            Nn.rmsNorm(x, b * dim, w.attnNorm, eps, s.xb, b * dim, dim);
        }
        if (w.wqkv != null) {
            mm(pool, w.wqkv, s.xb, n, s.qkv, batch);
            for (int b = 0; b < n; b++) {
                int src = b * (qDim + 2 * kvDim);
                System.arraycopy(s.qkv, src, s.q, b * qDim, qDim);
                System.arraycopy(s.qkv, src + qDim, s.k, b * kvDim, kvDim);
                System.arraycopy(s.qkv, src + qDim + kvDim, s.v, b * kvDim, kvDim);
            }
        } else {
            mm(pool, w.wq, s.xb, n, s.q, batch);
            mm(pool, w.wk, s.xb, n, s.k, batch);
            mm(pool, w.wv, s.xb, n, s.v, batch);
        }
        addBias(s.q, w.bq, n);
        addBias(s.k, w.bk, n);
        addBias(s.v, w.bv, n);
        Rope r = w.slidingWindow ? ropeSwa : rope;
        for (int b = 0; b < n; b++) {
            if (w.qNorm != null) {
                for (int h = 0; h < config.heads(); h++) {
                    Nn.rmsNorm(s.q, b * qDim + h * hd, w.qNorm, eps, s.q, b * qDim + h * hd, hd);
                }
                for (int h = 0; h < config.kvHeads(); h++) {
                    Nn.rmsNorm(s.k, b * kvDim + h * hd, w.kNorm, eps, s.k, b * kvDim + h * hd, hd);
                }
            }
            int pos = batch.position(b);
            r.apply(s.q, b * qDim, config.heads(), hd, pos);
            r.apply(s.k, b * kvDim, config.kvHeads(), hd, pos);
            KvCache c = batch.cache(b);
            System.arraycopy(s.k, b * kvDim, c.keys(l), pos * kvDim, kvDim);
            System.arraycopy(s.v, b * kvDim, c.values(l), pos * kvDim, kvDim);
            if (c.f16()) {
                roundToHalf(c.keys(l), pos * kvDim, kvDim);
                roundToHalf(c.values(l), pos * kvDim, kvDim);
                roundToHalf(s.q, b * qDim, qDim);
            }
        }
        int window = w.slidingWindow ? config.slidingWindow() : 0;
        Attention.compute(pool, config, l, s.q, batch, window, attentionScale(), s.att);
        mm(pool, w.wo, s.att, n, s.xb2, batch);
        residual(x, s.xb2, w.postAttnNorm, n);
        for (int b = 0; b < n; b++) {
            Nn.rmsNorm(x, b * dim, w.ffnNorm, eps, s.xb, b * dim, dim);
        }
        ffn(pool, w, s, n, batch);
        residual(x, s.xb2, w.postFfnNorm, n);
    }

    private static void roundToHalf(float[] a, int off, int n) {
        for (int i = off; i < off + n; i++) {
            a[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
        }
    }

    /** @param batch the step's rows (x's row b is batch row b), so per-sequence adapters can find their rows */
    private void mm(ThreadPool pool, Linear w, float[] x, int n, float[] out, SequenceBatch batch) {
        MatmulObserver o = observer;
        if (o != null) {
            o.onMatmul(w.name(), x, n, w.cols());
        }
        w.matmul(pool, x, n, out, batch);
    }

    /** Scale of q·k; 1/√headDim unless an architecture says otherwise. */
    protected float attentionScale() {
        return (float) (1.0 / Math.sqrt(config.headDim()));
    }

    private void ffn(ThreadPool pool, Layer w, BlockScratch s, int n, SequenceBatch batch) {
        int ffn = config.ffnDim();
        Activation act = activation();
        if (w.wGate != null) {
            mm(pool, w.wGate, s.xb, n, s.hb, batch);
            mm(pool, w.wUp, s.xb, n, s.hb2, batch);
            if (act == Activation.SILU) {
                VectorOps.swiglu(s.hb, 0, s.hb2, 0, s.hb, 0, n * ffn);
            } else {
                for (int i = 0; i < n * ffn; i++) {
                    s.hb[i] = act.apply(s.hb[i]) * s.hb2[i];
                }
            }
        } else {
            // Fused gate|up: rows [0, ffn) are the gate, [ffn, 2·ffn) the up projection.
            mm(pool, w.wUp, s.xb, n, s.hb2x, batch);
            for (int b = 0; b < n; b++) {
                int src = b * 2 * ffn;
                if (act == Activation.SILU) {
                    VectorOps.swiglu(s.hb2x, src, s.hb2x, src + ffn, s.hb, b * ffn, ffn);
                    continue;
                }
                for (int i = 0; i < ffn; i++) {
                    s.hb[b * ffn + i] = act.apply(s.hb2x[src + i]) * s.hb2x[src + ffn + i];
                }
            }
        }
        mm(pool, w.wDown, s.hb, n, s.xb2, batch);
    }

    private void residual(float[] x, float[] delta, float[] postNorm, int n) {
        int dim = config.dim();
        if (postNorm != null) {
            for (int b = 0; b < n; b++) {
                Nn.rmsNorm(delta, b * dim, postNorm, config.normEps(), delta, b * dim, dim);
            }
        }
        for (int i = 0; i < n * dim; i++) {
            x[i] += delta[i];
        }
    }

    private static void addBias(float[] y, float[] bias, int n) {
        if (bias == null) {
            return;
        }
        int d = bias.length;
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < d; i++) {
                y[b * d + i] += bias[i];
            }
        }
    }

    // ---- loading helpers for subclasses ----

    /** A required 2-D tensor with {@code cols} columns and (when {@code rows} ≥ 0) that many rows. */
    protected WeightMatrix matrix(String name, int cols, int rows) {
        GgufTensorInfo t = file.tensor(name);
        if (t == null) {
            throw new ModelException(file.path() + ": missing tensor '" + name + "' required by architecture " + config.architecture());
        }
        if (t.ne0() != cols || (rows >= 0 && t.rows() != rows) || t.dims().length > 2) {
            throw new ModelException(file.path() + ": tensor '" + name + "' has dims " + java.util.Arrays.toString(t.dims())
                    + ", expected [" + cols + ", " + (rows >= 0 ? rows : "any") + "]");
        }
        return WeightMatrix.of(file, t);
    }

    protected WeightMatrix optionalMatrix(String name, int cols, int rows) {
        return file.tensor(name) == null ? null : matrix(name, cols, rows);
    }

    /**
     * A block projection [rows, cols]: the dense tensor {@code name}, or, when it is absent and the
     * file has its low-rank factors ({@link LowRankLinear#factorNames}, written by smelt lowrank),
     * B·A from them. Otherwise as {@link #matrix}.
     */
    protected Linear linear(String name, int cols, int rows) {
        if (file.tensor(name) == null) {
            String[] ab = LowRankLinear.factorNames(name);
            GgufTensorInfo a = file.tensor(ab[0]);
            if (a != null && file.tensor(ab[1]) != null) {
                int rank = (int) a.rows();
                return new LowRankLinear(name, matrix(ab[0], cols, rank), matrix(ab[1], rank, rows));
            }
        }
        return matrix(name, cols, rows);
    }

    /** As {@link #linear}, or null when neither the dense tensor nor its factors exist. */
    protected Linear optionalLinear(String name, int cols, int rows) {
        return file.tensor(name) == null && file.tensor(LowRankLinear.factorNames(name)[0]) == null ? null : linear(name, cols, rows);
    }

    /** A required 1-D tensor of {@code n} elements, decoded to F32 on the heap (norms and biases are small). */
    protected float[] vector(String name, int n) {
        float[] v = optionalVector(name, n);
        if (v == null) {
            throw new ModelException(file.path() + ": missing tensor '" + name + "' required by architecture " + config.architecture());
        }
        return v;
    }

    protected float[] optionalVector(String name, int n) {
        GgufTensorInfo t = file.tensor(name);
        if (t == null) {
            return null;
        }
        if (t.elementCount() != n) {
            throw new ModelException(file.path() + ": tensor '" + name + "' has " + t.elementCount() + " elements, expected " + n);
        }
        float[] out = new float[n];
        if (t.type() == GgmlType.F32) {
            java.lang.foreign.MemorySegment.copy(file.segment(), LE_FLOAT, t.fileOffset(), out, 0, n);
        } else {
            WeightMatrix.of(file, t).row(0, out, 0);
        }
        return out;
    }

    protected String blk(int i, String suffix) {
        return "blk." + i + "." + suffix;
    }

    @Override
    public void close() {
        file.close();
    }

    /** Per-forward work buffers, sized for a batch of n tokens. */
    private static final class BlockScratch {
        final float[] xb;   // [n, dim]
        final float[] xb2;  // [n, dim]
        final float[] q;    // [n, qDim]
        final float[] k;    // [n, kvDim]
        final float[] v;    // [n, kvDim]
        final float[] qkv;  // [n, qDim + 2·kvDim]
        final float[] att;  // [n, qDim]
        final float[] hb;   // [n, ffn]
        final float[] hb2;  // [n, ffn]
        final float[] hb2x; // [n, 2·ffn] fused gate|up output

        BlockScratch(ModelConfig c, int n) {
            xb = new float[n * c.dim()];
            xb2 = new float[n * c.dim()];
            q = new float[n * c.qDim()];
            k = new float[n * c.kvDim()];
            v = new float[n * c.kvDim()];
            qkv = new float[n * (c.qDim() + 2 * c.kvDim())];
            att = new float[n * c.qDim()];
            hb = new float[n * c.ffnDim()];
            hb2 = new float[n * c.ffnDim()];
            hb2x = new float[n * 2 * c.ffnDim()];
        }
    }
}
