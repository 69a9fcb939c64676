package dev.smelt.train.model;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.ModelException;
import dev.smelt.model.arch.Models;
import dev.smelt.model.WeightMatrix;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.Rope;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.LoraParam;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A frozen GGUF decoder (llama, qwen2, qwen3) with trainable LoRA pairs, differentiable through
 * {@link Grad}. Base weights stay in the memory mapping in their stored format (F32 … Q4_K): QLoRA
 * style. {@link #lossAndGrad} runs forward and backward over a packed batch, with optional gradient
 * checkpointing (only block inputs are kept; each block is recomputed during backward).
 *
 * <p>Not thread-safe (the LoRA arrays are updated in place by the optimizer); parallel inside each
 * call on the given pool. Owns the model file: close it.
 */
public final class LoraModel implements AutoCloseable {
    /** Architectures whose block this trainer implements. */
    public static final List<String> SUPPORTED = List.of("llama", "qwen2", "qwen3");
    /** PEFT module names in the order of a block's forward (and of LoRA initialization). */
    public static final List<String> ALL_MODULES = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    private final DecoderModel base;
    private final ModelConfig c;
    private final Rope.Kind ropeKind;
    private final Rope rope;
    private final Block[] blocks;
    private final WeightMatrix embedding; // [vocab, dim]
    private final WeightMatrix output;    // [vocab, dim]
    private final float[] outputNorm;     // [dim]
    private LoraAdapter adapter;
    private final Map<String, LoraParam> params = new LinkedHashMap<>();
    private float dropout;
    private float kdAlpha;
    private float kdTemperature = 1f;

    /** One block's frozen weights; projections in PEFT module order. */
    private static final class Block {
        final WeightMatrix[] proj = new WeightMatrix[7]; // q [qDim, dim], k, v [kvDim, dim], o [dim, qDim], gate, up [ffn, dim], down [dim, ffn]
        final float[][] bias = new float[7][];           // q/k/v biases (qwen2) or null
        float[] attnNorm;                                 // [dim]
        float[] ffnNorm;                                  // [dim]
        float[] qNorm;                                    // [headDim] (qwen3) or null
        float[] kNorm;                                    // [headDim] (qwen3) or null
        final LoraParam[] lora = new LoraParam[7];
    }

    private static final String[] SUFFIX = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};

    private LoraModel(DecoderModel base) {
        this.base = base;
        this.c = base.config();
        String arch = c.architecture();
        if (!SUPPORTED.contains(arch)) {
            throw new ModelException(base.file().path() + ": fine-tuning supports architectures " + String.join(", ", SUPPORTED)
                    + "; this model is '" + arch + "'");
        }
        if (c.slidingWindow() > 0 || c.attnSoftcap() > 0) {
            throw new ModelException(base.file().path() + ": sliding-window attention and attention soft-capping are not supported by the trainer");
        }
        GgufFile f = base.file();
        this.ropeKind = arch.equals("llama") ? Rope.Kind.NORM : Rope.Kind.NEOX;
        float[] freqFactors = vector(f, "rope_freqs.weight", false);
        this.rope = new Rope(ropeKind, c.ropeDim(), c.ropeBase(), freqFactors, c.ropeScale());
        this.embedding = matrix(f, "token_embd.weight");
        this.output = f.tensor("output.weight") != null ? matrix(f, "output.weight") : embedding;
        this.outputNorm = vector(f, "output_norm.weight", true);
        this.blocks = new Block[c.layers()];
        for (int i = 0; i < blocks.length; i++) {
            Block b = new Block();
            b.attnNorm = vector(f, "blk." + i + ".attn_norm.weight", true);
            b.ffnNorm = vector(f, "blk." + i + ".ffn_norm.weight", true);
            for (int p = 0; p < 7; p++) {
                b.proj[p] = matrix(f, "blk." + i + "." + SUFFIX[p] + ".weight");
                if (p < 3) {
                    b.bias[p] = vector(f, "blk." + i + "." + SUFFIX[p] + ".bias", false);
                }
            }
            if (arch.equals("qwen3")) {
                b.qNorm = vector(f, "blk." + i + ".attn_q_norm.weight", true);
                b.kNorm = vector(f, "blk." + i + ".attn_k_norm.weight", true);
            }
            blocks[i] = b;
        }
    }

    /** Opens {@code path} (the file stays mapped until {@link #close}). */
    public static LoraModel open(Path path) throws IOException {
        DecoderModel m = Models.load(path);
        try {
            return new LoraModel(m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return c;
    }

    public GgufFile file() {
        return base.file();
    }

    /** The frozen model for inference (generation with the adapter applied goes through it). */
    public DecoderModel base() {
        return base;
    }

    public LoraAdapter adapter() {
        return adapter;
    }

    /** Trainable pairs by GGUF base name, in block and module order. */
    public Map<String, LoraParam> params() {
        return params;
    }

    /**
     * A fresh adapter initialized as PEFT does: A ~ U(−1/√in, 1/√in) (kaiming-uniform with a = √5),
     * B = 0, drawn from {@code rng} block by block in module order; then attached.
     */
    public LoraAdapter newAdapter(int rank, float alpha, boolean rsLora, List<String> modules, RandomGenerator rng) {
        for (String m : modules) {
            if (!ALL_MODULES.contains(m)) {
                throw new IllegalArgumentException("unknown LoRA target module '" + m + "'; known: " + String.join(", ", ALL_MODULES));
            }
        }
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("no LoRA target modules given");
        }
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        List<String> ordered = new ArrayList<>();
        for (String m : ALL_MODULES) {
            if (modules.contains(m)) {
                ordered.add(m);
            }
        }
        for (int i = 0; i < blocks.length; i++) {
            for (int p = 0; p < 7; p++) {
                if (!ordered.contains(ALL_MODULES.get(p))) {
                    continue;
                }
                WeightMatrix w = blocks[i].proj[p];
                float[] a = new float[rank * w.cols()];
                double bound = 1.0 / Math.sqrt(w.cols());
                for (int j = 0; j < a.length; j++) {
                    a[j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                }
                pairs.put(w.name(), new LoraAdapter.Pair(w.name(), w.cols(), w.rows(), a, new float[w.rows() * rank]));
            }
        }
        LoraAdapter ad = new LoraAdapter(rank, alpha, rsLora, ordered, pairs);
        attach(ad);
        return ad;
    }

    /** Trains (and applies) {@code ad}; its pairs must match this model's projections. */
    public void attach(LoraAdapter ad) {
        params.clear();
        for (Block b : blocks) {
            java.util.Arrays.fill(b.lora, null);
        }
        for (LoraAdapter.Pair pair : ad.pairs().values()) {
            boolean found = false;
            for (Block b : blocks) {
                for (int p = 0; p < 7; p++) {
                    WeightMatrix w = b.proj[p];
                    if (w.name().equals(pair.baseName())) {
                        if (w.cols() != pair.in() || w.rows() != pair.out()) {
                            throw new IllegalArgumentException("LoRA pair " + pair.baseName() + " is [" + pair.out() + ", " + pair.in()
                                    + "], the model's weight is [" + w.rows() + ", " + w.cols() + "]");
                        }
                        LoraParam lp = new LoraParam(pair);
                        b.lora[p] = lp;
                        params.put(pair.baseName(), lp);
                        found = true;
                    }
                }
            }
            if (!found) {
                throw new IllegalArgumentException("LoRA pair " + pair.baseName() + " names no projection of this model");
            }
        }
        this.adapter = ad;
    }

    /** LoRA dropout probability in [0, 1). */
    public void setDropout(float p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + p);
        }
        this.dropout = p;
    }

    /**
     * Token-level distillation in training losses: rows with teacher top-k (see {@link PackedBatch#teacher})
     * are trained on (1 − alpha)·CE + alpha·T²·KL ({@link Grad#distillCrossEntropy}); alpha 0 = off.
     * Evaluation losses stay plain cross-entropy, comparable across runs.
     */
    public void setDistillation(float alpha, float temperature) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("--kd-alpha must be in [0, 1], got " + alpha);
        }
        if (!(temperature > 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException("--kd-temperature must be > 0, got " + temperature);
        }
        this.kdAlpha = alpha;
        this.kdTemperature = temperature;
    }

    public void zeroGrad() {
        for (LoraParam p : params.values()) {
            p.zeroGrad();
        }
    }

    /**
     * Forward and backward over one packed micro-batch; LoRA gradients are added to the params'
     * accumulators, scaled by 1/normalizer.
     *
     * @param normalizer     target tokens in the whole optimizer step (≥ this batch's)
     * @param checkpoint     recompute each block in backward instead of keeping its activations
     * @param dropoutSeed    seed of this micro-batch's dropout masks
     * @return the summed token losses of this batch (unnormalized) and its token count
     */
    public Grad.Loss lossAndGrad(ThreadPool pool, PackedBatch batch, double normalizer, boolean checkpoint, long dropoutSeed) {
        validate(batch);
        if (batch.targetCount() == 0) {
            throw new IllegalArgumentException("batch has no target tokens: nothing to train on");
        }
        int n = batch.size();
        Tape tape = new Tape(pool, true);
        Tensor x = Grad.embedding(tape, embedding, batch.tokens(), n);
        if (!checkpoint) {
            for (int l = 0; l < blocks.length; l++) {
                x = block(tape, l, x, batch, dropoutSeed);
            }
            Grad.Loss loss = head(tape, x, batch, normalizer, true);
            loss.tensor().grad()[0] = 1f;
            tape.backward();
            return loss;
        }
        Tensor[] inputs = new Tensor[blocks.length];
        Tape light = new Tape(pool, false);
        for (int l = 0; l < blocks.length; l++) {
            inputs[l] = x;
            x = block(light, l, x, batch, dropoutSeed);
        }
        Tensor top = new Tensor(x.data, x.rows, x.cols, true);
        Grad.Loss loss = head(tape, top, batch, normalizer, true);
        loss.tensor().grad()[0] = 1f;
        tape.backward();
        float[] g = top.grad();
        for (int l = blocks.length - 1; l >= 0; l--) {
            Tape t = new Tape(pool, true);
            Tensor in = new Tensor(inputs[l].data, n, c.dim(), l > 0);
            inputs[l] = null;
            Tensor out = block(t, l, in, batch, dropoutSeed);
            out.accumulateGrad(g);
            t.backward();
            g = in.gradOrNull();
        }
        return loss;
    }

    /** Summed loss over the batch's targets without gradients (evaluation). */
    public double evalLoss(ThreadPool pool, PackedBatch batch) {
        validate(batch);
        if (batch.targetCount() == 0) {
            return 0;
        }
        Tape light = new Tape(pool, false);
        Tensor x = Grad.embedding(light, embedding, batch.tokens(), batch.size());
        for (int l = 0; l < blocks.length; l++) {
            x = block(light, l, x, batch, 0);
        }
        return head(light, x, batch, 1, false).sum();
    }

    /**
     * Mean over the batch's target rows that carry teacher top-k of KL(teacher ‖ student restricted
     * to the teacher's tokens) at {@code temperature}, without gradients: how close the student's
     * distribution is to the teacher's. NaN when no row has teacher entries.
     */
    public double teacherKl(ThreadPool pool, PackedBatch batch, float temperature) {
        validate(batch);
        if (batch.teacher() == null) {
            return Double.NaN;
        }
        Tape light = new Tape(pool, false);
        Tensor x = Grad.embedding(light, embedding, batch.tokens(), batch.size());
        for (int l = 0; l < blocks.length; l++) {
            x = block(light, l, x, batch, 0);
        }
        Tensor h = Grad.rmsNorm(light, x, outputNorm, c.normEps(), c.dim());
        Tensor logits = Grad.linear(light, output, null, null, 0, Grad.gatherRows(light, h, batch.targetRows()), 0, 0);
        if (c.finalSoftcap() > 0) {
            logits = Grad.softcap(light, logits, c.finalSoftcap());
        }
        double sum = 0;
        int n = 0;
        for (double v : Grad.teacherKl(logits, batch.teacher(), temperature)) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private void validate(PackedBatch batch) {
        for (int i = 0; i < batch.size(); i++) {
            int t = batch.tokens()[i];
            if (t < 0 || t >= c.vocab()) {
                throw new IllegalArgumentException("token id " + t + " at row " + i + " is outside the vocabulary [0, " + c.vocab() + ")");
            }
            if (batch.positions()[i] >= c.contextLength()) {
                throw new IllegalArgumentException("position " + batch.positions()[i] + " at row " + i + " exceeds the context length " + c.contextLength());
            }
        }
    }

    private Grad.Loss head(Tape tape, Tensor x, PackedBatch batch, double normalizer, boolean training) {
        Tensor h = Grad.rmsNorm(tape, x, outputNorm, c.normEps(), c.dim());
        Tensor sel = Grad.gatherRows(tape, h, batch.targetRows());
        boolean distill = training && kdAlpha > 0 && batch.teacher() != null;
        if (c.finalSoftcap() <= 0 && !distill) {
            return Grad.linearCrossEntropy(tape, output, sel, batch.targetIds(), normalizer); // logits never all in memory
        }
        Tensor logits = Grad.linear(tape, output, null, null, 0, sel, 0, 0);
        if (c.finalSoftcap() > 0) {
            logits = Grad.softcap(tape, logits, c.finalSoftcap());
        }
        if (distill) {
            return Grad.distillCrossEntropy(tape, logits, batch.targetIds(), batch.teacher(), kdAlpha, kdTemperature, normalizer);
        }
        return Grad.crossEntropy(tape, logits, batch.targetIds(), normalizer);
    }

    private Tensor block(Tape tape, int l, Tensor x, PackedBatch batch, long seed) {
        Block b = blocks[l];
        int hd = c.headDim();
        float eps = c.normEps();
        Tensor h = Grad.rmsNorm(tape, x, b.attnNorm, eps, c.dim());
        Tensor q = proj(tape, b, 0, h, seed, l);
        Tensor k = proj(tape, b, 1, h, seed, l);
        Tensor v = proj(tape, b, 2, h, seed, l);
        if (b.qNorm != null) {
            q = Grad.rmsNorm(tape, q, b.qNorm, eps, hd);
            k = Grad.rmsNorm(tape, k, b.kNorm, eps, hd);
        }
        q = Grad.rope(tape, q, rope, ropeKind, hd, batch.positions());
        k = Grad.rope(tape, k, rope, ropeKind, hd, batch.positions());
        Tensor a = Grad.attention(tape, q, k, v, c.heads(), c.kvHeads(), hd, batch.docStart(), (float) (1.0 / Math.sqrt(hd)));
        x = Grad.add(tape, x, proj(tape, b, 3, a, seed, l));
        h = Grad.rmsNorm(tape, x, b.ffnNorm, eps, c.dim());
        Tensor gate = proj(tape, b, 4, h, seed, l);
        Tensor up = proj(tape, b, 5, h, seed, l);
        Tensor act = Grad.gated(tape, gate, up, Grad.Gate.SILU);
        return Grad.add(tape, x, proj(tape, b, 6, act, seed, l));
    }

    private Tensor proj(Tape tape, Block b, int p, Tensor x, long seed, int layer) {
        LoraParam lp = b.lora[p];
        float scale = adapter == null ? 0 : adapter.scale();
        long s = seed ^ (0x9E3779B97F4A7C15L * (layer * 8L + p + 1));
        return Grad.linear(tape, b.proj[p], b.bias[p], lp, scale, x, lp == null ? 0 : dropout, s);
    }

    private WeightMatrix matrix(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        if (t == null) {
            throw new ModelException(f.path() + ": missing tensor '" + name + "'");
        }
        return WeightMatrix.of(f, t);
    }

    private static float[] vector(GgufFile f, String name, boolean required) {
        GgufTensorInfo t = f.tensor(name);
        if (t == null) {
            if (required) {
                throw new ModelException(f.path() + ": missing tensor '" + name + "'");
            }
            return null;
        }
        float[] v = new float[(int) t.elementCount()];
        WeightMatrix m = WeightMatrix.of(f, t);
        for (int r = 0; r < m.rows(); r++) {
            m.row(r, v, r * m.cols());
        }
        return v;
    }

    @Override
    public void close() {
        base.close();
    }
}
