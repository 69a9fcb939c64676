package dev.smelt.model.lora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Inference with an adapter against PyTorch: the LoRA goldens' loss (torch_ref.py's forward with
 * y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ, cross-entropy over the masked targets of two sequences) recomputed from
 * smelt's logits with the golden A and B applied through {@link LoraApplier}.
 */
class LoraGoldenForwardTest {
    /**
     * float32 forward vs PyTorch float32, loss ~13.6: observed 6e-9 (llama) and 7e-8 (qwen3) relative;
     * 1e-6 leaves room for summation-order changes, while an adapter applied with a wrong scale,
     * row order or slice moves the loss by far more (B entries are ~0.1).
     */
    private static final double REL_TOL = 1e-6;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void lossWithTheGoldenAdapterMatchesPyTorch(String model) throws Exception {
        try (SafetensorsFile g = SafetensorsFile.open(SharedData.golden(model + ".lora.golden.safetensors"));
             DecoderModel m = Models.load(SharedData.model(g.metadata().get("model")));
             ThreadPool pool = new ThreadPool(2)) {
            int rank = Integer.parseInt(g.metadata().get("rank"));
            float alpha = Float.parseFloat(g.metadata().get("alpha"));
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            for (String mod : g.metadata().get("modules").split(",")) {
                long[] sa = g.entry("lora." + mod + ".A").shape();
                long[] sb = g.entry("lora." + mod + ".B").shape();
                String name = mod + ".weight";
                pairs.put(name, new LoraAdapter.Pair(name, (int) sa[1], (int) sb[0], g.floats("lora." + mod + ".A"), g.floats("lora." + mod + ".B")));
            }
            LoraAdapter a = new LoraAdapter(rank, alpha, false, List.of(), pairs);
            assertThat(LoraApplier.apply(m, a, 1f)).isEqualTo(pairs.size());
            double nll = 0;
            int count = 0;
            for (int s = 0; g.entries().containsKey("seq" + s + ".tokens"); s++) {
                int[] tokens = g.ints("seq" + s + ".tokens");
                int[] mask = g.ints("seq" + s + ".target_mask");
                float[] logits = m.forward(pool, tokens, tokens.length, m.newCache(tokens.length), true);
                int v = m.config().vocab();
                for (int i = 1; i < tokens.length; i++) {
                    if (mask[i] != 0) {
                        nll += -logSoftmax(logits, (i - 1) * v, v, tokens[i]);
                        count++;
                    }
                }
            }
            double loss = nll / count;
            double expected = g.floats("loss")[0];
            assertThat(Math.abs(loss - expected)).as("loss %s vs PyTorch %s", loss, expected).isLessThanOrEqualTo(REL_TOL * Math.abs(expected));
        }
    }

    private static double logSoftmax(float[] l, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, l[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(l[off + i] - max);
        }
        return l[off + target] - max - Math.log(sum);
    }
}
