package dev.smelt.compress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraApplier;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inference with an adapter (LoraLinear through transformLinears) against the same adapter baked
 * into the weights (smelt merge), on the reference models.
 */
class LoraMergeTest {
    /**
     * F32 logits of W·x + s·B·(A·x) vs (W + s·B·A)·x: the two differ only by float rounding of the
     * reassociated sums, accumulated over 2 layers; logits here are O(1–10), so 1e-4 absolute plus
     * 1e-4 relative is ~100× the observed difference and far below the adapter's effect (> 0.05).
     */
    private static final double ABS_TOL = 1e-4;
    private static final double REL_TOL = 1e-4;
    /**
     * A zero-B delta adds exactly 0, but the engine's own logits are not bit-reproducible between
     * calls: the Vector API's lane reductions sum in a different order before and after C2 compiles
     * them (seen: 1.9340148 vs 1.9340153 for two identical base models). So "unchanged" means within
     * that rounding, 1e-5, still 10⁴× below any real adapter's effect.
     */
    private static final double SAME_ABS_TOL = 1e-5;
    private static final int[] TOKENS = {1, 40, 87, 300, 12, 77, 501, 9, 256, 128, 33, 64, 5, 199};

    @TempDir
    Path dir;

    @Test
    void llamaAdapterAtInferenceEqualsTheMergedF32Model() throws IOException {
        checkMergedEqualsAdapted("llama.gguf", false);
    }

    @Test
    void phi3AdapterOnFusedRowSlicesEqualsTheMergedF32Model() throws IOException {
        checkMergedEqualsAdapted("phi3.gguf", true);
    }

    private void checkMergedEqualsAdapted(String name, boolean unfusedPairs) throws IOException {
        Path model = SharedData.model(name);
        try (ThreadPool pool = new ThreadPool(2); DecoderModel base = Models.load(model); DecoderModel adapted = Models.load(model)) {
            LoraAdapter a = randomAdapter(adapted.config(), 4, 8f, 42, false);
            assertThat(LoraApplier.apply(adapted, a, 1f)).isEqualTo(unfusedPairs ? 2 * 4 : 2 * 7);
            Path out = dir.resolve("merged.gguf");
            LoraMerger.Result r = LoraMerger.merge(base, a, 1f, null, pool, out);
            assertThat(r.mergedTensors()).isEqualTo(unfusedPairs ? 8 : 14);
            try (DecoderModel merged = Models.load(out)) {
                float[] l0 = logits(base, pool);
                float[] l1 = logits(adapted, pool);
                float[] l2 = logits(merged, pool);
                assertThat(Tolerances.maxAbsDiff(l0, l1)).as("adapter changes the logits").isGreaterThan(0.05);
                Tolerances.assertClose(name + " merged vs adapter", l2, l1, ABS_TOL, REL_TOL);
                assertThat(merged.file().metadata().keySet()).containsExactlyElementsOf(base.file().metadata().keySet());
                for (GgufTensorInfo t : base.file().tensors()) {
                    GgufTensorInfo m = merged.file().tensor(t.name());
                    assertThat(m.type()).isEqualTo(t.type());
                    if (!isAdapted(t.name(), unfusedPairs)) {
                        assertThat(merged.file().tensorData(m).mismatch(base.file().tensorData(t))).as(t.name()).isEqualTo(-1);
                    }
                }
            }
        }
    }

    private static boolean isAdapted(String tensor, boolean phi3) {
        List<String> s = phi3 ? List.of("attn_qkv", "attn_output", "ffn_up", "ffn_down") : List.of("attn_q.", "attn_k.", "attn_v.", "attn_output", "ffn_gate", "ffn_up", "ffn_down");
        return s.stream().anyMatch(tensor::contains);
    }

    @Test
    void zeroBAdapterChangesNothing() throws IOException {
        Path model = SharedData.model("qwen2.gguf");
        try (ThreadPool pool = new ThreadPool(2); DecoderModel base = Models.load(model); DecoderModel adapted = Models.load(model)) {
            LoraApplier.apply(adapted, randomAdapter(adapted.config(), 8, 16f, 3, true), 1f);
            Tolerances.assertClose("zero-B adapter", logits(base, pool), logits(adapted, pool), SAME_ABS_TOL, SAME_ABS_TOL);
        }
    }

    @Test
    void requantizedMergeKeepsTypesAndLandsNearTheAdaptedModel() throws IOException {
        Path model = SharedData.model("llama-Q8_0.gguf");
        try (ThreadPool pool = new ThreadPool(2); DecoderModel base = Models.load(model); DecoderModel adapted = Models.load(model)) {
            LoraAdapter a = randomAdapter(adapted.config(), 4, 8f, 5, false);
            LoraApplier.apply(adapted, a, 1f);
            Path out = dir.resolve("merged-q8.gguf");
            LoraMerger.merge(base, a, 1f, null, pool, out);
            try (DecoderModel merged = Models.load(out)) {
                for (GgufTensorInfo t : base.file().tensors()) {
                    assertThat(merged.file().tensor(t.name()).type()).as(t.name()).isEqualTo(t.type());
                }
                float[] l0 = logits(base, pool);
                float[] l1 = logits(adapted, pool);
                float[] l2 = logits(merged, pool);
                // Q8_0 re-quantization noise must be far smaller than the adapter's own effect
                assertThat(Tolerances.maxAbsDiff(l1, l2)).isLessThan(0.2 * Tolerances.maxAbsDiff(l0, l1));
            }
            Path q4 = dir.resolve("merged-q4.gguf");
            LoraMerger.Result r = LoraMerger.merge(base, a, 1f, LlamaFileType.fromName("Q4_0"), pool, q4);
            try (GgufFile f = GgufFile.open(q4)) {
                assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.Q4_0);
                assertThat(f.getLong("general.file_type", -1)).isEqualTo(LlamaFileType.fromName("Q4_0").id());
                assertThat(r.types().get("blk.1.ffn_down.weight")).isEqualTo(f.tensor("blk.1.ffn_down.weight").type());
            }
        }
    }

    @Test
    void modelfileHasFromAndStopTokens() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.model("llama.gguf"))) {
            Path gguf = dir.resolve("tuned.gguf");
            Path mf = OllamaModelfile.writeNextTo(f, gguf);
            String eos = f.getStringArray("tokenizer.ggml.tokens")[(int) f.getLong("tokenizer.ggml.eos_token_id", -1)];
            assertThat(Files.readString(mf)).contains("FROM ./tuned.gguf\n").contains("PARAMETER stop \"" + eos + "\"\n").startsWith("# ");
        }
    }

    private static float[] logits(DecoderModel m, ThreadPool pool) {
        return m.forward(pool, TOKENS, TOKENS.length, m.newCache(TOKENS.length), true);
    }

    /** Random A and B on q,k,v,o,gate,up,down of every layer, with the unfused shapes. */
    static LoraAdapter randomAdapter(ModelConfig c, int rank, float alpha, long seed, boolean zeroB) {
        Random rnd = new Random(seed);
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        for (int l = 0; l < c.layers(); l++) {
            Object[][] shapes = {{"attn_q", c.qDim(), c.dim()}, {"attn_k", c.kvDim(), c.dim()}, {"attn_v", c.kvDim(), c.dim()},
                {"attn_output", c.dim(), c.qDim()}, {"ffn_gate", c.ffnDim(), c.dim()}, {"ffn_up", c.ffnDim(), c.dim()},
                {"ffn_down", c.dim(), c.ffnDim()}};
            for (Object[] s : shapes) {
                String n = "blk." + l + "." + s[0] + ".weight";
                int out = (Integer) s[1];
                int in = (Integer) s[2];
                float[] a = gaussian(rnd, rank * in, 0.1f);
                float[] b = zeroB ? new float[out * rank] : gaussian(rnd, out * rank, 0.1f);
                pairs.put(n, new LoraAdapter.Pair(n, in, out, a, b));
            }
        }
        return new LoraAdapter(rank, alpha, false, List.of(), pairs);
    }

    private static float[] gaussian(Random rnd, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * std;
        }
        return v;
    }
}
