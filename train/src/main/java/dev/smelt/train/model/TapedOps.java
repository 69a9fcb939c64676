package dev.smelt.train.model;

import dev.smelt.model.WeightMatrix;
import dev.smelt.model.arch.Activation;
import dev.smelt.model.arch.AttentionSpec;
import dev.smelt.model.arch.DecoderOps;
import dev.smelt.model.arch.Proj;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import dev.smelt.train.data.PackedBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link DecoderOps} for training: every op is a differentiable {@link Grad} rule recorded on a
 * {@link Tape}, over the rows of one {@link PackedBatch} (each packed example at its own positions,
 * attending only to itself), with the trainable LoRA pairs added to the projections they adapt
 * (whole, or row slices of a fused projection). The frozen weights stay in the memory mapping in their
 * stored format. Not thread-safe: one instance per tape.
 */
final class TapedOps implements DecoderOps<Tensor> {
    private final Tape tape;
    private final PackedBatch batch;
    private final float eps;
    private final LoraModel.Units units;
    private final float scale;
    private final float dropout;
    private final long seed;

    /**
     * @param units   the model's adaptable units and the LoRA attached to them
     * @param scale   the adapter's alpha / r (0 without an adapter)
     * @param dropout LoRA dropout probability
     * @param seed    this micro-batch's dropout seed (each unit derives its own from it)
     */
    TapedOps(Tape tape, PackedBatch batch, float normEps, LoraModel.Units units, float scale, float dropout, long seed) {
        this.tape = tape;
        this.batch = batch;
        this.eps = normEps;
        this.units = units;
        this.scale = scale;
        this.dropout = dropout;
        this.seed = seed;
    }

    Tape tape() {
        return tape;
    }

    @Override
    public Tensor embed(WeightMatrix table, float s) {
        Tensor x = Grad.embedding(tape, table, batch.tokens(), batch.size());
        if (s != 1f) {
            for (int i = 0; i < x.data.length; i++) {
                x.data[i] *= s; // a constant (frozen table): scaling it needs no rule
            }
        }
        return x;
    }

    @Override
    public Tensor rmsNorm(Tensor x, float[] weight, int group) {
        return Grad.rmsNorm(tape, x, weight, eps, group);
    }

    @Override
    public Tensor linear(Tensor x, Proj p) {
        if (!(p.weight() instanceof WeightMatrix w)) {
            throw new IllegalStateException(p.name() + " is not a dense weight (low-rank factors or an adapter wrapper); the trainer needs the base tensor");
        }
        List<Grad.LoraSlice> slices = new ArrayList<>(p.slices().size());
        for (Proj.Slice s : p.slices()) {
            LoraModel.Unit u = units.byName().get(s.name());
            if (u != null && u.lora() != null) {
                slices.add(new Grad.LoraSlice(s.offset(), u.lora(), seed ^ u.salt()));
            }
        }
        return Grad.linear(tape, w, p.bias(), slices, scale, x, dropout);
    }

    @Override
    public List<Tensor> split(Tensor x, int... widths) {
        return Grad.split(tape, x, widths);
    }

    @Override
    public Tensor rope(Tensor x, AttentionSpec.RopeSpec r) {
        return Grad.rope(tape, x, r.rope(), r.kind(), r.headDim(), batch.positions());
    }

    /** Packed examples attend only to themselves; a sliding window raises each row's first visible row further. */
    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        if (spec.softcap() > 0) {
            throw new UnsupportedOperationException("attention logit soft-capping is not supported by the trainer");
        }
        int[] start = batch.docStart();
        if (spec.window() > 0) {
            start = start.clone();
            for (int t = 0; t < start.length; t++) {
                start[t] = Math.max(start[t], t - spec.window() + 1);
            }
        }
        return Grad.attention(tape, q, k, v, spec.heads(), spec.kvHeads(), spec.headDim(), start, spec.scale());
    }

    @Override
    public Tensor gated(Tensor gate, Tensor up, Activation act) {
        return Grad.gated(tape, gate, up, switch (act) {
            case SILU -> Grad.Gate.SILU;
            case GELU_TANH -> Grad.Gate.GELU_TANH;
        });
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return Grad.add(tape, a, b);
    }
}
