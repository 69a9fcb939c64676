package dev.smelt.train.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.LoraParam;
import dev.smelt.train.data.PackedBatch;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.optim.AdamW;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Loss, every LoRA gradient and the weights after one AdamW step against PyTorch
 * (../shared/reference/golden/MODEL.lora.golden.safetensors, made by tools/torch_ref.py): the two
 * golden sequences are packed into one batch, so the document mask is checked too.
 */
class LoraGoldenTest {
    /**
     * Loss: both sides sum ~20 float32 log-softmaxes over a 2-layer float32 forward; orders differ
     * (PyTorch's BLAS vs our tiles), which moves a loss of ~6 by a few ulp: 1e-5 relative.
     */
    static final double LOSS_REL = 1e-5;
    /**
     * Gradients: float32 backward through 2 blocks, reductions over up to 512 terms in different
     * orders; measured agreement is ~1e-6 of the largest gradient. Allow 1e-4 of each tensor's max |g|
     * (absolute) plus 1e-3 relative: far below any wrong rule (a missing term is O(max|g|)).
     */
    static final double GRAD_ABS_OF_MAX = 1e-4;
    static final double GRAD_REL = 1e-3;
    /**
     * After one AdamW step from zero moments the update is lr·g/(|g| + ε) ≈ ±lr per element, so a
     * gradient agreeing to 1e-3 relative gives updates equal to ~1e-3·lr unless |g| is near ε = 1e-8.
     * 1e-6 absolute on weights of magnitude ~0.1 (lr = 1e-3) says each step moved the right way by the
     * right amount; elements with |g| < 1e-6 could flip sign legitimately and are excluded.
     */
    static final double ADAMW_ABS = 1e-6;
    static final double TINY_GRAD = 1e-6;

    @ParameterizedTest
    @CsvSource({"llama,true", "llama,false", "qwen3,true", "qwen3,false"})
    void matchesPyTorch(String name, boolean checkpoint) throws Exception {
        Path golden = SharedData.golden(name + ".lora.golden.safetensors");
        try (SafetensorsFile g = SafetensorsFile.open(golden);
             LoraModel model = LoraModel.open(SharedData.model(g.metadata().get("model")));
             ThreadPool pool = new ThreadPool(2)) {
            worstGrad = 0;
            int rank = Integer.parseInt(g.metadata().get("rank"));
            float alpha = Float.parseFloat(g.metadata().get("alpha"));
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            for (String m : g.metadata().get("modules").split(",")) {
                float[] a = g.floats("lora." + m + ".A");
                float[] b = g.floats("lora." + m + ".B");
                int in = a.length / rank;
                pairs.put(m + ".weight", new LoraAdapter.Pair(m + ".weight", in, b.length / rank, a, b));
            }
            model.attach(new LoraAdapter(rank, alpha, false, LoraModel.ALL_MODULES, pairs));
            List<TokenizedExample> seqs = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                int[] tokens = g.ints("seq" + s + ".tokens");
                int[] mask = g.ints("seq" + s + ".target_mask");
                boolean[] target = new boolean[mask.length];
                for (int i = 0; i < mask.length; i++) {
                    target[i] = mask[i] != 0;
                }
                seqs.add(new TokenizedExample(tokens, target, "seq" + s));
            }
            PackedBatch batch = PackedBatch.pack(seqs);
            Grad.Loss loss = model.lossAndGrad(pool, batch, batch.targetCount(), checkpoint, 0);
            double expected = g.floats("loss")[0];
            assertThat(loss.tensor().data[0]).as("loss").isCloseTo((float) expected, org.assertj.core.data.Offset.offset((float) (expected * LOSS_REL)));

            List<LoraParam> params = new ArrayList<>(model.params().values());
            int[] sizes = new int[params.size() * 2];
            for (int i = 0; i < params.size(); i++) {
                sizes[2 * i] = params.get(i).a().length;
                sizes[2 * i + 1] = params.get(i).b().length;
            }
            for (LoraParam p : params) {
                String m = p.pair.baseName().replace(".weight", "");
                checkGrad("grad." + m + ".A", g.floats("grad." + m + ".A"), p.gradA);
                checkGrad("grad." + m + ".B", g.floats("grad." + m + ".B"), p.gradB);
            }
            System.out.printf("%s: loss %.8f vs PyTorch %.8f; worst gradient diff %.3g of max|g|%n", name, loss.tensor().data[0], expected, worstGrad);
            float lr = Float.parseFloat(g.metadata().get("lr"));
            AdamW opt = new AdamW(sizes, Float.parseFloat(g.metadata().get("weight_decay")));
            opt.beginStep();
            for (int i = 0; i < params.size(); i++) {
                opt.update(2 * i, params.get(i).a(), params.get(i).gradA, lr);
                opt.update(2 * i + 1, params.get(i).b(), params.get(i).gradB, lr);
            }
            for (LoraParam p : params) {
                String m = p.pair.baseName().replace(".weight", "");
                checkStep("adamw." + m + ".A", g.floats("adamw." + m + ".A"), p.a(), g.floats("grad." + m + ".A"));
                checkStep("adamw." + m + ".B", g.floats("adamw." + m + ".B"), p.b(), g.floats("grad." + m + ".B"));
            }
        }
    }

    private static double worstGrad;

    private static void checkGrad(String what, float[] expected, float[] actual) {
        double max = Tolerances.maxAbs(expected);
        assertThat(max).as(what + " is a real (nonzero) gradient").isGreaterThan(0);
        Tolerances.assertClose(what, expected, actual, GRAD_ABS_OF_MAX * max, GRAD_REL);
        worstGrad = Math.max(worstGrad, Tolerances.maxAbsDiff(expected, actual) / max);
    }

    private static void checkStep(String what, float[] expected, float[] actual, float[] grad) {
        float[] e = expected.clone();
        float[] a = actual.clone();
        for (int i = 0; i < e.length; i++) {
            if (Math.abs(grad[i]) < TINY_GRAD) {
                a[i] = e[i];
            }
        }
        Tolerances.assertClose(what, e, a, ADAMW_ABS, 0);
    }
}
