package dev.smelt.model.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufLoraAdapterTest {
    @TempDir
    Path dir;

    @Test
    void writesWhatLlamaCppLoads() throws IOException {
        LoraBase base = LoraFixtures.base("llama");
        LoraAdapter a = LoraFixtures.adapter(base, 4, 8f, false, 11);
        Path p = dir.resolve("adapter.gguf");
        GgufLoraAdapter.write(a, base, p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.getString("general.type", null)).isEqualTo("adapter");
            assertThat(f.getString("adapter.type", null)).isEqualTo("lora");
            assertThat(f.architecture()).isEqualTo("llama");
            assertThat(f.get("adapter.lora.alpha")).isEqualTo(8f);
            assertThat(f.tensors()).hasSize(28);
            GgufTensorInfo qa = f.tensor("blk.0.attn_q.weight.lora_a");
            GgufTensorInfo kb = f.tensor("blk.0.attn_k.weight.lora_b");
            GgufTensorInfo da = f.tensor("blk.1.ffn_down.weight.lora_a");
            assertThat(qa.dims()).containsExactly(16, 4); // ne {in, r}
            assertThat(kb.dims()).containsExactly(4, 8);  // ne {r, out}
            assertThat(da.dims()).containsExactly(24, 4);
            assertThat(qa.type()).isEqualTo(GgmlType.F32);
        }
        LoraAdapter back = GgufLoraAdapter.read(p, base);
        for (LoraAdapter.Pair x : a.pairs().values()) {
            assertThat(back.pairs().get(x.baseName()).a()).containsExactly(x.a());
            assertThat(back.pairs().get(x.baseName()).b()).containsExactly(x.b()); // GGUF row order, no permutation
        }
        assertThat(back.scale()).isEqualTo(a.scale());
        assertThat(back.targetModules()).containsExactly("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj");
    }

    @Test
    void rsLoraAlphaIsScaledSoLlamaCppsAlphaOverRGivesTheSameScale() throws IOException {
        LoraBase base = LoraFixtures.base("qwen2");
        LoraAdapter a = LoraFixtures.adapter(base, 16, 16f, true, 12);
        Path p = dir.resolve("rs.gguf");
        GgufLoraAdapter.write(a, base, p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat((Float) f.get("adapter.lora.alpha")).isEqualTo(64f); // 16 · √16
        }
        LoraAdapter back = GgufLoraAdapter.read(p, base);
        assertThat(back.scale()).isEqualTo(a.scale()).isEqualTo(4f);
    }

    @Test
    void badFilesNameTheFileAndTensor() throws IOException {
        LoraBase base = LoraFixtures.base("llama");
        Path model = dir.resolve("model.gguf");
        new GgufWriter().put("general.architecture", GgufValue.string("llama")).write(model);
        assertThatThrownBy(() -> GgufLoraAdapter.read(model, base)).hasMessageContaining(model.toString())
                .hasMessageContaining("'general.type' is ''");

        Path p = dir.resolve("a.gguf");
        GgufLoraAdapter.write(LoraFixtures.adapter(base, 4, 8f, false, 13), base, p);
        assertThatThrownBy(() -> GgufLoraAdapter.read(p, LoraFixtures.base("qwen2"))).hasMessageContaining(p.toString())
                .hasMessageContaining("architecture 'llama' does not match the model's 'qwen2'");

        GgufWriter w = header();
        w.tensor("blk.0.attn_q.weight.lora_a", new long[] {16, 4}, GgmlType.F32, new byte[16 * 4 * 4]);
        w.write(p);
        assertThatThrownBy(() -> GgufLoraAdapter.read(p, base)).hasMessageContaining("pair for 'blk.0.attn_q.weight' is missing its lora_b");

        w = header();
        w.tensor("blk.0.attn_k.weight.lora_a", new long[] {16, 4}, GgmlType.F32, new byte[16 * 4 * 4]);
        w.tensor("blk.0.attn_k.weight.lora_b", new long[] {4, 16}, GgmlType.F32, new byte[16 * 4 * 4]);
        w.write(p);
        assertThatThrownBy(() -> GgufLoraAdapter.read(p, base)).hasMessageContaining("blk.0.attn_k.weight.lora_a/lora_b")
                .hasMessageContaining("does not match base tensor blk.0.attn_k.weight [8, 16]");

        w = header();
        w.tensor("blk.0.attn_k.weight.lora_a", new long[] {16, 4}, GgmlType.F32, new byte[16 * 4 * 4]);
        w.tensor("blk.0.attn_k.weight.lora_b", new long[] {3, 8}, GgmlType.F32, new byte[3 * 8 * 4]);
        w.write(p);
        assertThatThrownBy(() -> GgufLoraAdapter.read(p, base)).hasMessageContaining("do not form ne {in, r} and {r, out}");

        w = header();
        w.tensor("blk.0.attn_k.weight", new long[] {16, 8}, GgmlType.F32, new byte[16 * 8 * 4]);
        w.write(p);
        assertThatThrownBy(() -> GgufLoraAdapter.read(p, base)).hasMessageContaining("tensor 'blk.0.attn_k.weight' is neither");
    }

    private static GgufWriter header() {
        return new GgufWriter().put("general.architecture", GgufValue.string("llama")).put("general.type", GgufValue.string("adapter"))
                .put("adapter.type", GgufValue.string("lora")).put("adapter.lora.alpha", GgufValue.float32(8f));
    }
}
