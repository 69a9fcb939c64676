package dev.smelt.train.model;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.ModelException;
import dev.smelt.model.WeightMatrix;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.Proj;
import dev.smelt.model.arch.Workload;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.PeftNames;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.LoraParam;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import dev.smelt.train.data.PackedBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A frozen GGUF decoder of any architecture smelt runs, with trainable LoRA pairs: the forward is the
 * model's own {@link DecoderModel#block} definition run with taped ops ({@link TapedOps}), so training
 * sees the block inference runs. Base weights stay in the memory mapping in their stored format
 * (F32 … Q4_K): QLoRA style. LoRA adapts the model's units ({@link Proj.Slice}s: whole projections, or
 * q/k/v and gate/up row slices of phi3's fused ones). {@link #lossAndGrad} runs forward and backward
 * over a packed batch, with optional gradient checkpointing (only block inputs are kept; each block is
 * recomputed during backward).
 *
 * <p>Not thread-safe (the LoRA arrays are updated in place by the optimizer); parallel inside each
 * call on the given pool. Owns the model file: close it.
 */
public final class LoraModel implements AutoCloseable {
    /** PEFT module names in the order of a block's forward (and of LoRA initialization). */
    public static final List<String> ALL_MODULES = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    private final DecoderModel base;
    private final ModelConfig c;
    private Units units; // with the attached adapter's pairs
    private LoraAdapter adapter;
    private final Map<String, LoraParam> params = new LinkedHashMap<>();
    private float dropout;
    private float kdAlpha;
    private float kdTemperature = 1f;

    /**
     * One LoRA-adaptable unit: a projection's row slice named as its GGUF tensor.
     *
     * @param layer  block index
     * @param module index in {@link #ALL_MODULES}
     * @param salt   mixed into the micro-batch seed for this unit's dropout mask
     * @param lora   the attached trainable pair, or null
     */
    record Unit(String name, int layer, int module, int in, int out, long salt, LoraParam lora) {
        Unit with(LoraParam p) {
            return new Unit(name, layer, module, in, out, salt, p);
        }
    }

    /** The model's units in block and module order, by name. */
    record Units(List<Unit> ordered, Map<String, Unit> byName) {
    }

    private LoraModel(DecoderModel base) {
        this.base = base;
        this.c = base.config();
        if (c.attnSoftcap() > 0) {
            throw new ModelException(base.file().path() + ": attention soft-capping is not supported by the trainer");
        }
        List<Unit> list = new ArrayList<>();
        for (Proj p : base.projections()) {
            if (!(p.weight() instanceof WeightMatrix)) {
                throw new ModelException(base.file().path() + ": " + p.name() + " is stored as low-rank factors; fine-tune the dense model instead");
            }
            for (Proj.Slice s : p.slices()) {
                String suffix = PeftNames.suffixOf(s.name());
                String module = suffix == null ? null : LoraAdapter.peftModule(suffix);
                int m = module == null ? -1 : ALL_MODULES.indexOf(module);
                if (m < 0) {
                    throw new ModelException(base.file().path() + ": projection " + s.name() + " has no LoRA module name");
                }
                int layer = Integer.parseInt(s.name().substring(4, s.name().indexOf('.', 4)));
                list.add(new Unit(s.name(), layer, m, p.cols(), s.rows(), 0x9E3779B97F4A7C15L * (layer * 8L + m + 1), null));
            }
        }
        list.sort(Comparator.comparingInt(Unit::layer).thenComparingInt(Unit::module));
        this.units = index(list);
    }

    private static Units index(List<Unit> list) {
        Map<String, Unit> by = new LinkedHashMap<>();
        for (Unit u : list) {
            by.put(u.name(), u);
        }
        return new Units(List.copyOf(list), by);
    }

    /**
     * Opens {@code path} (the file stays mapped until {@link #close}) for {@link Workload#BATCHED}: training's
     * frozen products run over sequence × batch rows (and transposed in backward) on {@link
     * dev.smelt.train.autograd.FrozenMatmul}, never on the integer decode kernels, so no matrix is repacked.
     */
    public static LoraModel open(Path path) throws IOException {
        DecoderModel m = Models.load(path, Workload.BATCHED);
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

    /** Trainable pairs by GGUF unit name, in block and module order. */
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
        List<String> ordered = new ArrayList<>();
        for (String m : ALL_MODULES) {
            if (modules.contains(m)) {
                ordered.add(m);
            }
        }
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        for (Unit u : units.ordered()) {
            if (!ordered.contains(ALL_MODULES.get(u.module()))) {
                continue;
            }
            float[] a = new float[rank * u.in()];
            double bound = 1.0 / Math.sqrt(u.in());
            for (int j = 0; j < a.length; j++) {
                a[j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
            pairs.put(u.name(), new LoraAdapter.Pair(u.name(), u.in(), u.out(), a, new float[u.out() * rank]));
        }
        LoraAdapter ad = new LoraAdapter(rank, alpha, rsLora, ordered, pairs);
        attach(ad);
        return ad;
    }

    /** Trains (and applies) {@code ad}; its pairs must match this model's units. */
    public void attach(LoraAdapter ad) {
        Map<String, Unit> by = new LinkedHashMap<>(units.byName());
        by.replaceAll((k, u) -> u.with(null));
        Map<String, LoraParam> ps = new LinkedHashMap<>();
        for (LoraAdapter.Pair pair : ad.pairs().values()) {
            Unit u = by.get(pair.baseName());
            if (u == null) {
                throw new IllegalArgumentException("LoRA pair " + pair.baseName() + " names no projection of this model");
            }
            if (u.in() != pair.in() || u.out() != pair.out()) {
                throw new IllegalArgumentException("LoRA pair " + pair.baseName() + " is [" + pair.out() + ", " + pair.in()
                        + "], the model's weight is [" + u.out() + ", " + u.in() + "]");
            }
            LoraParam lp = new LoraParam(pair);
            by.put(u.name(), u.with(lp));
            ps.put(pair.baseName(), lp);
        }
        List<Unit> list = new ArrayList<>();
        for (Unit u : units.ordered()) {
            list.add(by.get(u.name()));
        }
        this.units = index(list);
        params.clear();
        params.putAll(ps);
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

    private TapedOps ops(Tape tape, PackedBatch batch, long dropoutSeed) {
        return new TapedOps(tape, batch, c.normEps(), units, adapter == null ? 0 : adapter.scale(), dropout, dropoutSeed);
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
        int layers = c.layers();
        Tape tape = new Tape(pool, true);
        TapedOps ops = ops(tape, batch, dropoutSeed);
        Tensor x = base.embed(ops);
        if (!checkpoint) {
            for (int l = 0; l < layers; l++) {
                x = base.block(ops, l, x);
            }
            Grad.Loss loss = head(ops, x, batch, normalizer, true);
            loss.tensor().grad()[0] = 1f;
            tape.backward();
            return loss;
        }
        Tensor[] inputs = new Tensor[layers];
        TapedOps light = ops(new Tape(pool, false), batch, dropoutSeed);
        for (int l = 0; l < layers; l++) {
            inputs[l] = x;
            x = base.block(light, l, x);
        }
        Tensor top = new Tensor(x.data, x.rows, x.cols, true);
        Grad.Loss loss = head(ops, top, batch, normalizer, true);
        loss.tensor().grad()[0] = 1f;
        tape.backward();
        float[] g = top.grad();
        for (int l = layers - 1; l >= 0; l--) {
            Tape t = new Tape(pool, true);
            Tensor in = new Tensor(inputs[l].data, n, c.dim(), l > 0);
            inputs[l] = null;
            Tensor out = base.block(ops(t, batch, dropoutSeed), l, in);
            out.accumulateGrad(g);
            t.backward();
            g = in.gradOrNull();
        }
        return loss;
    }

    /** The final hidden states [n, dim] of every row, after the final norm, without gradients. */
    private Tensor hidden(ThreadPool pool, PackedBatch batch) {
        TapedOps light = ops(new Tape(pool, false), batch, 0);
        Tensor x = base.embed(light);
        for (int l = 0; l < c.layers(); l++) {
            x = base.block(light, l, x);
        }
        return base.finalNorm(light, x);
    }

    /** Summed loss over the batch's targets without gradients (evaluation). */
    public double evalLoss(ThreadPool pool, PackedBatch batch) {
        validate(batch);
        if (batch.targetCount() == 0) {
            return 0;
        }
        Tape light = new Tape(pool, false);
        TapedOps ops = ops(light, batch, 0);
        Tensor x = base.embed(ops);
        for (int l = 0; l < c.layers(); l++) {
            x = base.block(ops, l, x);
        }
        return head(ops, x, batch, 1, false).sum();
    }

    /**
     * Logits [n, vocab] of every row of the batch through the training forward (no dropout, no gradients):
     * what the trainer's loss sees, for comparing the training forward with inference.
     */
    public float[] logits(ThreadPool pool, PackedBatch batch) {
        validate(batch);
        Tape light = new Tape(pool, false);
        Tensor logits = Grad.linear(light, base.output(), null, null, 0, hidden(pool, batch), 0, 0);
        if (c.finalSoftcap() > 0) {
            logits = Grad.softcap(light, logits, c.finalSoftcap());
        }
        return logits.data;
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
        Tensor h = hidden(pool, batch);
        Tensor logits = Grad.linear(light, base.output(), null, null, 0, Grad.gatherRows(light, h, batch.targetRows()), 0, 0);
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

    private Grad.Loss head(TapedOps ops, Tensor x, PackedBatch batch, double normalizer, boolean training) {
        Tape tape = ops.tape();
        Tensor h = base.finalNorm(ops, x);
        Tensor sel = Grad.gatherRows(tape, h, batch.targetRows());
        WeightMatrix output = base.output();
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

    @Override
    public void close() {
        base.close();
    }
}
