package dev.smelt.model.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftAdapterTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsEveryPairExactly() throws IOException {
        for (String arch : List.of("llama", "qwen2")) {
            LoraBase base = LoraFixtures.base(arch);
            LoraAdapter a = LoraFixtures.adapter(base, 4, 8f, false, 1);
            Path out = dir.resolve(arch);
            PeftAdapter.write(a, base, 0.05f, out);
            LoraAdapter back = PeftAdapter.read(out, base);
            assertThat(back.rank()).isEqualTo(4);
            assertThat(back.alpha()).isEqualTo(8f);
            assertThat(back.rsLora()).isFalse();
            assertThat(back.pairs().keySet()).containsExactlyElementsOf(a.pairs().keySet());
            for (LoraAdapter.Pair p : a.pairs().values()) {
                LoraAdapter.Pair q = back.pairs().get(p.baseName());
                assertThat(q.a()).as(p.baseName() + " A").containsExactly(p.a());
                assertThat(q.b()).as(p.baseName() + " B").containsExactly(p.b());
            }
            assertThat(Files.list(out).map(f -> f.getFileName().toString())).containsExactlyInAnyOrder(PeftAdapter.CONFIG, PeftAdapter.WEIGHTS);
        }
    }

    @Test
    void tensorNamesAndShapesAreHuggingFaceOnes() throws IOException {
        LoraBase base = LoraFixtures.base("llama");
        PeftAdapter.write(LoraFixtures.adapter(base, 4, 8f, false, 2), base, 0f, dir);
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(PeftAdapter.WEIGHTS))) {
            assertThat(f.entries()).hasSize(28);
            assertThat(f.entry("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape()).containsExactly(4, 16);
            assertThat(f.entry("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight").shape()).containsExactly(8, 4);
            assertThat(f.entry("base_model.model.model.layers.1.self_attn.o_proj.lora_B.weight").shape()).containsExactly(16, 4);
            assertThat(f.entry("base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight").shape()).containsExactly(24, 4);
            assertThat(f.entry("base_model.model.model.layers.1.mlp.up_proj.lora_A.weight").shape()).containsExactly(4, 16);
            assertThat(f.entry("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight").shape()).containsExactly(4, 24);
            assertThat(f.entry("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight").dtype()).isEqualTo("F32");
        }
        JsonNode c = new ObjectMapper().readTree(dir.resolve(PeftAdapter.CONFIG).toFile());
        assertThat(c.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(c.get("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(c.get("r").asInt()).isEqualTo(4);
        assertThat(c.get("lora_alpha").isIntegralNumber()).isTrue();
        assertThat(c.get("lora_alpha").asInt()).isEqualTo(8);
        assertThat(c.get("lora_dropout").asDouble()).isEqualTo(0.0);
        assertThat(c.get("bias").asText()).isEqualTo("none");
        assertThat(c.get("fan_in_fan_out").asBoolean()).isFalse();
        assertThat(c.get("use_rslora").asBoolean()).isFalse();
        assertThat(c.get("base_model_name_or_path").asText()).isEqualTo("tiny-llama");
        assertThat(c.get("target_modules")).extracting(JsonNode::asText)
                .containsExactly("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj");
    }

    @Test
    void llamaQkRowsOfBAreStoredInHuggingFaceOrder() throws IOException {
        LoraBase base = LoraFixtures.base("llama");
        LoraAdapter a = LoraFixtures.adapter(base, 2, 4f, false, 3);
        PeftAdapter.write(a, base, 0f, dir);
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(PeftAdapter.WEIGHTS))) {
            float[] q = a.pairs().get("blk.0.attn_q.weight").b(); // [16, 2], 4 heads of 4 rows
            float[] hf = f.floats("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
            // head 0: GGUF rows 0,1,2,3 hold HF rows 0,2,1,3 (pairs (0,2) and (1,3) rotate together)
            int[] hfRowOfGguf = {0, 2, 1, 3, 4, 6, 5, 7};
            for (int g = 0; g < hfRowOfGguf.length; g++) {
                for (int j = 0; j < 2; j++) {
                    assertThat(hf[hfRowOfGguf[g] * 2 + j]).as("gguf row " + g).isEqualTo(q[g * 2 + j]);
                }
            }
            // v and the MLP are not permuted; A never is
            assertThat(f.floats("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")).containsExactly(a.pairs().get("blk.0.attn_v.weight").b());
            assertThat(f.floats("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")).containsExactly(a.pairs().get("blk.0.attn_q.weight").a());
        }
        LoraBase qwen = LoraFixtures.base("qwen2");
        PeftAdapter.write(a, qwen, 0f, dir.resolve("qwen"));
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("qwen").resolve(PeftAdapter.WEIGHTS))) {
            assertThat(f.floats("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight")).containsExactly(a.pairs().get("blk.0.attn_q.weight").b());
        }
    }

    @Test
    void permutationInvertsAndUsesKvHeadsForK() {
        float[] m = new float[8 * 3];
        for (int i = 0; i < m.length; i++) {
            m[i] = i;
        }
        assertThat(QkPermutation.ggufToHf(QkPermutation.hfToGguf(m, 8, 3, 2), 8, 3, 2)).containsExactly(m);
        assertThat(QkPermutation.hfRow(5, 4)).isEqualTo(6);
        assertThatThrownBy(() -> QkPermutation.hfToGguf(m, 8, 3, 3)).hasMessageContaining("8 rows do not split into 3 heads");
    }

    @Test
    void rsLoraFlagRoundTrips() throws IOException {
        LoraBase base = LoraFixtures.base("qwen2");
        PeftAdapter.write(LoraFixtures.adapter(base, 4, 16f, true, 4), base, 0.1f, dir);
        LoraAdapter back = PeftAdapter.read(dir, base);
        assertThat(back.rsLora()).isTrue();
        assertThat(back.scale()).isEqualTo(8f);
    }

    @Test
    void badFilesNameTheFileAndTensor() throws IOException {
        LoraBase base = LoraFixtures.base("llama");
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining(dir.resolve(PeftAdapter.CONFIG).toString());
        PeftAdapter.write(LoraFixtures.adapter(base, 4, 8f, false, 5), base, 0f, dir);
        Path cfg = dir.resolve(PeftAdapter.CONFIG);
        String good = Files.readString(cfg);

        Files.writeString(cfg, "{\"peft_type\": ");
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining(cfg.toString()).hasMessageContaining("malformed JSON");
        Files.writeString(cfg, good.replace("\"LORA\"", "\"IA3\""));
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining("'peft_type' is 'IA3'");
        Files.writeString(cfg, good.replace("\"r\" : 4", "\"r\" : 0"));
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining("field 'r' must be a positive integer");
        Files.writeString(cfg, good.replace("\"r\" : 4", "\"r\" : 8"));
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining(PeftAdapter.WEIGHTS)
                .hasMessageContaining("do not have rank r=8");
        Files.writeString(cfg, good.replace("\"fan_in_fan_out\" : false", "\"fan_in_fan_out\" : true"));
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining("fan_in_fan_out");
        Files.writeString(cfg, good);

        Path w = dir.resolve(PeftAdapter.WEIGHTS);
        new SafetensorsWriter().f32("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {4, 16}, new float[64])
                .f32("base_model.model.lm_head.lora_A.weight", new long[] {4, 16}, new float[64]).write(w);
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining(w.toString())
                .hasMessageContaining("tensor 'base_model.model.lm_head.lora_A.weight'");
        new SafetensorsWriter().f32("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {4, 16}, new float[64]).write(w);
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining("layers.0.self_attn.q_proj.lora_A.weight' has no lora_B partner");
        new SafetensorsWriter().f32("base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", new long[] {4, 16}, new float[64])
                .f32("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight", new long[] {16, 4}, new float[64]).write(w);
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining("k_proj")
                .hasMessageContaining("delta shape [16, 16] does not match base tensor blk.0.attn_k.weight [8, 16]");
        new SafetensorsWriter().f32("base_model.model.model.layers.7.self_attn.k_proj.lora_A.weight", new long[] {4, 16}, new float[64])
                .f32("base_model.model.model.layers.7.self_attn.k_proj.lora_B.weight", new long[] {8, 4}, new float[32]).write(w);
        assertThatThrownBy(() -> PeftAdapter.read(dir, base)).hasMessageContaining("no tensor blk.7.attn_k.weight");
    }
}
