package dev.smelt.train.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.encoder.Pooling;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The same weights and batch give the same gradient bits before and after the JIT compiles the kernels: a
 * fixed seed must give the same run. It did not while GELU used the Vector API's EXP, whose compiled form
 * differs from its interpreted one in the last bits (here after 1,000–2,000 steps; the encoder trainer's
 * early-stopping test then failed in CI).
 */
class JitTierDeterminismTest {
    /** Enough steps on this tiny model for C2 to compile every kernel of the step. */
    private static final int STEPS = 5_000;

    @Test
    void gradientsKeepTheirBitsAcrossJitTiers() {
        SplittableRandom r = new SplittableRandom(11);
        int[][] seqs = new int[8][];
        int[] y = new int[seqs.length];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = r.ints(5 + r.nextInt(6), 1, TinyBert.VOCAB).toArray();
            y[i] = i % 3;
        }
        try (ThreadPool pool = new ThreadPool(1)) {
            TrainableBert m = TrainableBert.from(TinyBert.random(Pooling.MEAN, 1), 3, 1, pool);
            float[][] first = null;
            for (int step = 0; step < STEPS; step++) {
                Tensor[] v = m.view();
                for (Tensor t : v) {
                    Arrays.fill(t.grad(), 0f);
                }
                Tape tape = new Tape(pool, true);
                Tensor logits = m.logits(tape, v, m.encode(tape, v, m.pack(pool), seqs, 0f, 0), 0f, 0);
                Grad.crossEntropy(tape, logits, y, seqs.length).tensor().accumulateGrad(new float[] {1f});
                tape.backward();
                if (first == null) {
                    first = new float[v.length][];
                    for (int i = 0; i < v.length; i++) {
                        first[i] = v[i].grad().clone();
                    }
                    continue;
                }
                for (int i = 0; i < v.length; i++) {
                    int at = Arrays.mismatch(v[i].grad(), first[i]);
                    if (at >= 0) {
                        assertThat(v[i].grad()[at]).as("step %d, gradient of %s at %d", step, m.names().get(i), at)
                                .isEqualTo(first[i][at]);
                    }
                }
            }
        }
    }
}
