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
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A transformer decoder over memory-mapped weights: token embedding, one block per layer, final
 * RMSNorm, output projection. Each architecture is one subclass (as in llama.cpp's
 * {@code src/models/}) that declares its tensors and writes its {@link #block} from the shared
 * builders in {@link Blocks} against {@link DecoderOps}; this class loads what all of them share and
 * runs the inference forward with {@link KernelOps}. The trainer runs the very same {@link #block}
 * with its taped ops, so a new architecture is one file and trainable.
 *
 * <p>A forward call processes a batch of tokens of one or more sequences at once (matrix-matrix
 * products for prompts), appending their keys/values to their {@link KvCache}s.
 *
 * <p>Thread-safety: the weights are immutable and shared; concurrent forward calls are safe on
 * different caches (each call parallelizes internally on the given pool, which serializes loops).
 */
public abstract class DecoderModel implements AutoCloseable {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    protected final GgufFile file;
    protected final ModelConfig config;
    protected final WeightMatrix tokenEmbedding; // [vocab, dim]
    protected final WeightMatrix output;         // [vocab, dim] (token_embd when tied)
    protected final float[] outputNorm;          // [dim]
    private final Rope.Kind ropeKind;
    private final float[] ropeFreqs;             // [ropeDim / 2] llama3 rope_freqs, or null
    private final List<Proj> projections = new ArrayList<>();
    private final Workload workload;             // DECODE: matrices repacked for the integer kernels where enabled
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

    /** Loads what every architecture has for {@code workload}; the subclass then loads its blocks. */
    protected DecoderModel(GgufFile file, ModelConfig config, Rope.Kind ropeKind, Workload workload) {
        this.file = file;
        this.config = config;
        this.ropeKind = ropeKind;
        this.workload = workload;
        GgufTensorInfo out = file.tensor("output.weight");
        // The embedding is only read by rows unless it doubles as the output projection (tied).
        this.tokenEmbedding = out != null ? rawMatrix("token_embd.weight", config.dim(), -1)
                : matrix("token_embd.weight", config.dim(), -1);
        this.output = out != null ? matrix("output.weight", config.dim(), config.vocab()) : tokenEmbedding;
        this.outputNorm = vector("output_norm.weight", config.dim());
        this.ropeFreqs = optionalVector("rope_freqs.weight", config.ropeDim() / 2);
    }

    /**
     * Block {@code layer}: x [rows, dim] in, the residual stream after the block out. The architecture's
     * definition, run by inference ({@link KernelOps}) and training alike.
     */
    public abstract <T> T block(DecoderOps<T> ops, int layer, T x);

    /** The residual stream's start: token embeddings (gemma scales them by √dim). */
    public <T> T embed(DecoderOps<T> ops) {
        return ops.embed(tokenEmbedding, 1f);
    }

    /** The final RMSNorm before the output projection. */
    public <T> T finalNorm(DecoderOps<T> ops, T x) {
        return ops.rmsNorm(x, outputNorm, config.dim());
    }

    /** The output projection [vocab, dim] (the token embedding when tied). */
    public WeightMatrix output() {
        return output;
    }

    /** Every block projection in load order (blocks in order; within a block as the architecture declares them). */
    public List<Proj> projections() {
        return Collections.unmodifiableList(projections);
    }

    /**
     * Replaces block projections (q, k, v, fused qkv, o, gate, up, down) by {@code f(current)}: the
     * hook for LoRA deltas and low-rank factors. {@code f} must keep each projection's shape. Not
     * thread-safe: call before the model is shared.
     */
    public void transformLinears(UnaryOperator<Linear> f) {
        for (Proj p : projections) {
            p.replace(f.apply(p.weight()));
        }
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
        for (int b = 0; b < n; b++) {
            int t = batch.token(b);
            if (t < 0 || t >= tokenEmbedding.rows()) {
                throw new IllegalArgumentException("token id " + t + " at batch index " + b + " is outside the vocabulary [0, " + tokenEmbedding.rows() + ")");
            }
            if (batch.position(b) >= batch.cache(b).capacity()) {
                throw new ContextOverflowException(batch.position(b) + 1, batch.cache(b).capacity());
            }
        }
        KernelOps ops = new KernelOps(pool, batch, config.normEps(), observer);
        KernelOps.Act x = embed(ops);
        for (int l = 0; l < config.layers(); l++) {
            x = block(ops, l, x);
            ops.endBlock(x);
        }
        for (int b = 0; b < n; b++) {
            KvCache c = batch.cache(b);
            if (batch.position(b) + 1 > c.length()) {
                c.setLengthInternal(batch.position(b) + 1);
            }
        }
        int rows = batch.logitRows();
        float[] logits = new float[rows * output.rows()];
        if (rows > 0) {
            KernelOps.Act h = finalNorm(ops, ops.logitRows(x)); // row-wise: normalizing only the rows that need logits
            output.matmul(pool, h.data, rows, logits);
        }
        if (config.finalSoftcap() > 0) {
            Nn.softcap(logits, 0, logits.length, config.finalSoftcap());
        }
        return logits;
    }

    // ---- declaring tensors: helpers for architectures ----

    /** GGUF name of block {@code i}'s tensor {@code suffix}, e.g. {@code blk.3.attn_q.weight}. */
    protected static String blk(int i, String suffix) {
        return "blk." + i + "." + suffix;
    }

    /** Block i's RMSNorm weight {@code blk.i.NAME.weight} of {@code n} elements. */
    protected float[] norm(int i, String name, int n) {
        return vector(blk(i, name + ".weight"), n);
    }

    /** Block i's projection {@code blk.i.NAME.weight} [rows, cols], without bias. */
    protected Proj proj(int i, String name, int cols, int rows) {
        return register(Proj.whole(linear(blk(i, name + ".weight"), cols, rows), null));
    }

    /** As {@link #proj} with its required bias {@code blk.i.NAME.bias} [rows]. */
    protected Proj projWithBias(int i, String name, int cols, int rows) {
        return register(Proj.whole(linear(blk(i, name + ".weight"), cols, rows), vector(blk(i, name + ".bias"), rows)));
    }

    /**
     * A fused projection {@code blk.i.NAME.weight} whose rows are the named slices in order, each
     * {@code {name, rows}} (phi3's {@code attn_qkv} = attn_q | attn_k | attn_v).
     */
    protected Proj fused(int i, String name, int cols, String[] sliceNames, int[] sliceRows) {
        List<Proj.Slice> slices = new ArrayList<>();
        int off = 0;
        for (int s = 0; s < sliceNames.length; s++) {
            slices.add(new Proj.Slice(blk(i, sliceNames[s] + ".weight"), off, sliceRows[s]));
            off += sliceRows[s];
        }
        return register(new Proj(linear(blk(i, name + ".weight"), cols, off), null, slices));
    }

    /** Block i's gated FFN from separate {@code ffn_gate}, {@code ffn_up} [ffn, dim] and {@code ffn_down} [dim, ffn]. */
    protected Blocks.FeedForward gatedFfn(int i, Activation act) {
        ModelConfig c = config;
        return new Blocks.FeedForward(proj(i, "ffn_gate", c.dim(), c.ffnDim()), proj(i, "ffn_up", c.dim(), c.ffnDim()),
                proj(i, "ffn_down", c.ffnDim(), c.dim()), act);
    }

    /** Whether block i has tensor {@code blk.i.NAME.weight} (dense or as low-rank factors). */
    protected boolean has(int i, String name) {
        String n = blk(i, name + ".weight");
        return file.tensor(n) != null || file.tensor(LowRankLinear.factorNames(n)[0]) != null;
    }

    private Proj register(Proj p) {
        projections.add(p);
        return p;
    }

    /**
     * Attention of block {@code layer} with the model's head geometry, scale 1/√headDim and soft-cap;
     * sliding-window layers attend to the last {@code config.slidingWindow()} positions and use the
     * sliding-window rope base.
     */
    protected AttentionSpec attention(int layer, boolean sliding) {
        ModelConfig c = config;
        int window = sliding ? c.slidingWindow() : 0;
        Rope rope = new Rope(ropeKind, c.ropeDim(), sliding ? c.ropeBaseSwa() : c.ropeBase(), ropeFreqs, sliding ? 1f : c.ropeScale());
        return new AttentionSpec(layer, c.heads(), c.kvHeads(), c.headDim(), window, (float) (1.0 / Math.sqrt(c.headDim())),
                c.attnSoftcap(), new AttentionSpec.RopeSpec(rope, ropeKind, c.headDim()));
    }

    /**
     * A required 2-D tensor with {@code cols} columns and (when {@code rows} ≥ 0) that many rows, repacked
     * for the integer kernels where that applies and the load is for {@link Workload#DECODE}.
     */
    protected WeightMatrix matrix(String name, int cols, int rows) {
        WeightMatrix m = rawMatrix(name, cols, rows);
        return workload == Workload.DECODE ? m.repacked() : m;
    }

    private WeightMatrix rawMatrix(String name, int cols, int rows) {
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

    @Override
    public void close() {
        file.close();
    }
}
