package dev.smelt.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.testkit.SharedData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The mixture rules choose, for every tensor, the type llama-quantize wrote in the reference files,
 * and the recipe numbers match {@code general.file_type} there.
 */
class QuantMixTest {

    @ParameterizedTest(name = "{0}-{1} imatrix={2}")
    @CsvSource({
        "llama,F16,false", "llama,BF16,false", "llama,Q8_0,false", "llama,Q4_0,false", "llama,Q4_1,false",
        "llama,Q5_0,false", "llama,Q5_1,false", "llama,Q2_K,false", "llama,Q3_K_M,false", "llama,Q4_K_M,false",
        "llama,Q5_K_M,false", "llama,Q6_K,false", "llama,IQ4_NL,false", "llama,IQ4_XS,false",
        "qwen2,Q4_K_M,false", "qwen2,Q8_0,false", "qwen3,Q4_K_M,false", "qwen3,Q8_0,false",
        "phi3,Q4_K_M,false", "phi3,Q8_0,false", "gemma3,Q4_K_M,false", "gemma3,Q8_0,false",
        "shakespeare,Q4_K_M,false", "shakespeare,Q4_0,false", "shakespeare,Q6_K,false", "shakespeare,Q8_0,false",
        "shakespeare,Q4_K_M-imatrix,true", "shakespeare,Q4_0-imatrix,true"})
    void typesMatchReferenceFile(String model, String suffix, boolean imatrix) throws Exception {
        LlamaFileType ftype = LlamaFileType.fromName(suffix.replace("-imatrix", ""));
        try (GgufFile src = GgufFile.open(SharedData.model(model + ".gguf"));
                GgufFile ref = GgufFile.open(SharedData.model(model + "-" + suffix + ".gguf"))) {
            Map<String, GgmlType> chosen = QuantMix.chooseTypes(ftype, src, imatrix);
            List<String> wrong = new ArrayList<>();
            for (GgufTensorInfo t : ref.tensors()) {
                if (chosen.get(t.name()) != t.type()) {
                    wrong.add(t.name() + ": chose " + chosen.get(t.name()) + ", file has " + t.type());
                }
            }
            assertThat(wrong).as("%s-%s: tensors whose type differs", model, suffix).isEmpty();
            assertThat(chosen).hasSize(ref.tensors().size());
            assertThat(ref.getLong("general.file_type", -1)).as("general.file_type").isEqualTo(ftype.id());
        }
    }

    private static QuantMix.TensorSpec spec(String name, long... dims) {
        return new QuantMix.TensorSpec(name, dims, GgmlType.F32);
    }

    @Test
    void fallsBackWhenRowsAreNotMultiplesOf256() {
        QuantMix.ModelInfo m = new QuantMix.ModelInfo("qwen2", 24, 14, 2, 0);
        List<QuantMix.TensorSpec> ts = List.of(spec("blk.0.attn_q.weight", 896, 896), spec("blk.0.attn_norm.weight", 896),
                spec("blk.0.ffn_down.weight", 4864, 896), spec("output.weight", 896, 151936));
        assertThat(QuantMix.chooseTypes(LlamaFileType.Q4_K_M, m, ts, false)).containsExactly(
                Map.entry("blk.0.attn_q.weight", GgmlType.Q5_0), Map.entry("blk.0.attn_norm.weight", GgmlType.F32),
                // 4864 = 19 * 256, so ffn_down keeps the K type; layer 0 < 24/8 uses more bits
                Map.entry("blk.0.ffn_down.weight", GgmlType.Q6_K), Map.entry("output.weight", GgmlType.Q8_0));
        assertThat(QuantMix.chooseTypes(LlamaFileType.Q2_K, m, ts, false).get("blk.0.attn_q.weight")).isEqualTo(GgmlType.Q4_0);
        assertThat(QuantMix.chooseTypes(LlamaFileType.IQ4_XS, m, ts, false).get("blk.0.attn_q.weight")).isEqualTo(GgmlType.IQ4_NL);
        assertThat(QuantMix.chooseTypes(LlamaFileType.Q5_K_M, m, ts, false).get("blk.0.attn_q.weight")).isEqualTo(GgmlType.Q5_1);
        List<QuantMix.TensorSpec> odd = List.of(spec("blk.0.ffn_down.weight", 4868, 896));
        assertThat(QuantMix.chooseTypes(LlamaFileType.Q4_K_M, m, odd, false).get("blk.0.ffn_down.weight"))
                .as("Q6_K falls back to Q8_0, which needs a multiple of 32; 4868 is not, so F16").isEqualTo(GgmlType.F16);
    }

    @Test
    void useMoreBitsCountsLayersInNumericOrder() {
        // 16 layers: Q4_K_M gives Q6_K to attn_v in layers 0,1 (< n/8), 14,15 (>= 7n/8) and (i-2)%3 == 2: 4,7,10,13.
        QuantMix.ModelInfo m = new QuantMix.ModelInfo("llama", 16, 8, 2, 0);
        List<QuantMix.TensorSpec> ts = new ArrayList<>();
        for (int i = 15; i >= 0; i--) {
            ts.add(spec("blk." + i + ".attn_v.weight", 256, 256));
        }
        Map<String, GgmlType> chosen = QuantMix.chooseTypes(LlamaFileType.Q4_K_M, m, ts, false);
        for (int i = 0; i < 16; i++) {
            boolean more = i < 2 || i >= 14 || (i - 2) % 3 == 2;
            assertThat(chosen.get("blk." + i + ".attn_v.weight")).as("layer %d", i)
                    .isEqualTo(more ? GgmlType.Q6_K : GgmlType.Q4_K);
        }
    }

    @Test
    void fileTypeNumbersAreLlamaCpps() {
        assertThat(LlamaFileType.Q4_K_M.id()).isEqualTo(15);
        assertThat(LlamaFileType.IQ4_XS.id()).isEqualTo(30);
        assertThat(LlamaFileType.BF16.id()).isEqualTo(32);
        assertThat(LlamaFileType.fromId(18)).isEqualTo(LlamaFileType.Q6_K);
        assertThat(LlamaFileType.fromName("f32")).isEqualTo(LlamaFileType.ALL_F32);
        assertThatThrownBy(() -> LlamaFileType.fromName("Q9_X")).hasMessageContaining("Q9_X");
    }
}
