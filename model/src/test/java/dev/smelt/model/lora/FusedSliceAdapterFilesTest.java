package dev.smelt.model.lora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.Proj;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter on phi3's row slices (q/k/v of the fused attn_qkv, gate/up of the fused ffn_up: what the
 * trainer produces) survives both files: PEFT under the unfused module names, llama.cpp GGUF as one
 * block-diagonal pair per fused tensor. Each, read back and applied, gives the logits of the adapter
 * applied in memory.
 */
class FusedSliceAdapterFilesTest {
    @TempDir
    Path dir;

    /** Same deltas, summed in another grouping (stacked ranks, zero blocks): float32 rounding only. */
    static final double REL_TO_ROW_MAX = 1e-5;

    @Test
    void sliceAdapterRoundTripsThroughPeftAndGguf() throws Exception {
        Path model = SharedData.model("phi3.gguf");
        int[] tokens = {1, 40, 77, 300, 12, 90, 5, 260, 33};
        LoraAdapter ad;
        float[] expected;
        LoraBase base;
        try (DecoderModel m = Models.load(model); ThreadPool pool = new ThreadPool(2)) {
            base = LoraBase.of(m.file());
            Random rnd = new Random(5);
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            for (Proj p : m.projections()) {
                for (Proj.Slice s : p.slices()) {
                    pairs.put(s.name(), new LoraAdapter.Pair(s.name(), p.cols(), s.rows(), LoraFixtures.gaussian(rnd, 4 * p.cols(), 0.05f),
                            LoraFixtures.gaussian(rnd, s.rows() * 4, 0.05f)));
                }
            }
            assertThat(pairs).containsKeys("blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.1.ffn_gate.weight", "blk.1.ffn_up.weight");
            ad = new LoraAdapter(4, 8f, false, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), pairs);
            LoraApplier.apply(m, ad, 1f);
            expected = m.forward(pool, tokens, tokens.length, m.newCache(16), true);
        }
        LoraFiles.writeAll(ad, base, 0f, dir);
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve(PeftAdapter.WEIGHTS))) {
            assertThat(st.entries()).containsKeys("base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight",
                    "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight");
        }
        try (GgufFile g = GgufFile.open(dir.resolve(LoraFiles.GGUF_NAME))) {
            GgufTensorInfo qkv = g.tensor("blk.0.attn_qkv.weight.lora_a");
            GgufTensorInfo up = g.tensor("blk.0.ffn_up.weight.lora_b");
            assertThat(qkv.dims()).as("q, k, v stacked and padded to 4 slices of rank 4").containsExactly(256L, 16L);
            assertThat(up.dims()).as("gate, up stacked: rank 8 over the fused rows").containsExactly(8L, 1024L);
            assertThat(g.tensor("blk.0.attn_q.weight.lora_a")).as("no tensor llama.cpp could not place").isNull();
        }
        for (Path file : List.of(dir, dir.resolve(LoraFiles.GGUF_NAME))) {
            try (DecoderModel m = Models.load(model); ThreadPool pool = new ThreadPool(2)) {
                LoraApplier.apply(m, LoraFiles.load(file, LoraBase.of(m.file())), 1f);
                KvCache cache = m.newCache(16);
                float[] got = m.forward(pool, tokens, tokens.length, cache, true);
                int vocab = m.config().vocab();
                for (int i = 0; i < tokens.length; i++) {
                    float[] e = java.util.Arrays.copyOfRange(expected, i * vocab, (i + 1) * vocab);
                    float[] a = java.util.Arrays.copyOfRange(got, i * vocab, (i + 1) * vocab);
                    Tolerances.assertClose(file.getFileName() + " row " + i, e, a, REL_TO_ROW_MAX * Tolerances.maxAbs(e), 0);
                }
            }
        }
    }
}
