package dev.smelt.train.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.train.autograd.LoraParam;
import dev.smelt.train.data.PackedBatch;
import dev.smelt.train.data.TokenizedExample;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole-model LoRA gradients of every architecture (qwen2's q/k/v biases, qwen3's q/k norms, phi3's
 * row slices of fused projections, gemma3's sandwich norms, GELU, scaled embeddings and sliding window)
 * and of a quantized base (QLoRA): the largest A and B gradient entries of a few projections against
 * central differences of the full loss, in double-checked form (two step sizes).
 */
class LoraGradCheckTest {
    /** The loss is a float32 sum over a 2-layer model; relative agreement of 2% on the largest entries. */
    static final double TOL = 2e-2;
    /**
     * Plus an absolute slack for the float32 noise of the loss itself (~1e-5 of a per-token loss of ~6,
     * divided by the step 2h ≥ 0.02): an entry whose gradient is small (gemma3's layer-0 k projection:
     * ~0.04 against ~0.3 elsewhere) is otherwise judged on noise. Measured: central differences at
     * h = 0.02 and 0.01 agree with the analytic gradient to ≤ 6e-4 on every architecture.
     */
    static final double NOISE = 2e-3;
    /** Steps h and h/2; the truncation error at h = 0.02 measured ≤ 0.3% (A ~ 0.06, B ~ 0.1 here). */
    static final float H = 2e-2f;

    @ParameterizedTest
    @ValueSource(strings = {"llama.gguf", "qwen2.gguf", "qwen3.gguf", "phi3.gguf", "gemma3.gguf", "llama-Q4_K_M.gguf"})
    void largestGradientsMatchFiniteDifferences(String file) throws Exception {
        try (LoraModel m = LoraModel.open(SharedData.model(file)); ThreadPool pool = new ThreadPool(2)) {
            LoraAdapter ad = m.newAdapter(2, 4f, false, LoraModel.ALL_MODULES, new SplittableRandom(3));
            SplittableRandom r = new SplittableRandom(4);
            for (LoraAdapter.Pair p : ad.pairs().values()) {
                for (int i = 0; i < p.b().length; i++) {
                    p.b()[i] = (float) (r.nextDouble() - 0.5) * 0.2f;
                }
            }
            int[] tokens = {1, 40, 77, 300, 12, 90, 5, 260, 33, 18, 141, 7, 222, 64}; // longer than gemma3's window of 8
            boolean[] target = new boolean[tokens.length];
            for (int i = 4; i < tokens.length; i++) {
                target[i] = true;
            }
            PackedBatch batch = PackedBatch.pack(List.of(new TokenizedExample(tokens, target, "t")));
            m.zeroGrad();
            m.lossAndGrad(pool, batch, batch.targetCount(), true, 0);
            int checked = 0;
            for (String name : List.of("blk.0.attn_k.weight", "blk.1.attn_v.weight", "blk.0.ffn_down.weight", "blk.1.attn_q.weight", "blk.1.ffn_gate.weight", "blk.0.ffn_up.weight")) {
                LoraParam lp = m.params().get(name);
                checked += checkLargest(m, pool, batch, lp.a(), lp.gradA, name + " A");
                checked += checkLargest(m, pool, batch, lp.b(), lp.gradB, name + " B");
            }
            assertThat(checked).isEqualTo(12);
        }
    }

    private static int checkLargest(LoraModel m, ThreadPool pool, PackedBatch batch, float[] w, float[] g, String what) {
        int best = 0;
        for (int i = 1; i < g.length; i++) {
            if (Math.abs(g[i]) > Math.abs(g[best])) {
                best = i;
            }
        }
        double fd1 = fd(m, pool, batch, w, best, H);
        double fd2 = fd(m, pool, batch, w, best, H / 2);
        assertThat(Math.abs(fd1 - fd2)).as("%s[%d]: finite differences %g vs %g", what, best, fd1, fd2).isLessThan(TOL * Math.abs(fd2) + NOISE);
        assertThat(Math.abs(g[best] - fd2)).as("%s[%d]: analytic %g vs numeric %g", what, best, g[best], fd2).isLessThan(TOL * Math.abs(fd2) + NOISE);
        return 1;
    }

    private static double fd(LoraModel m, ThreadPool pool, PackedBatch batch, float[] w, int i, float h) {
        float old = w[i];
        w[i] = old + h;
        double up = m.evalLoss(pool, batch);
        w[i] = old - h;
        double down = m.evalLoss(pool, batch);
        w[i] = old;
        return (up - down) / (2.0 * h) / batch.targetCount();
    }
}
