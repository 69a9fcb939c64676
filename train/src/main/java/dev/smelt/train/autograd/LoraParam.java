package dev.smelt.train.autograd;

import dev.smelt.model.lora.LoraAdapter;

/**
 * One trainable LoRA pair over a frozen projection [out, in]: A [rank, in] and B [out, rank] (the
 * adapter's own arrays, updated in place) with their gradient accumulators. Not thread-safe.
 */
public final class LoraParam {
    public final LoraAdapter.Pair pair;
    public final int rank;
    public final float[] gradA; // [rank, in]
    public final float[] gradB; // [out, rank]

    public LoraParam(LoraAdapter.Pair pair) {
        this.pair = pair;
        this.rank = pair.rank();
        this.gradA = new float[pair.a().length];
        this.gradB = new float[pair.b().length];
    }

    public float[] a() {
        return pair.a();
    }

    public float[] b() {
        return pair.b();
    }

    public int in() {
        return pair.in();
    }

    public int out() {
        return pair.out();
    }

    public void zeroGrad() {
        java.util.Arrays.fill(gradA, 0f);
        java.util.Arrays.fill(gradB, 0f);
    }
}
