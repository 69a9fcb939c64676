package dev.smelt.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.testkit.SharedData;
import org.junit.jupiter.api.Test;

class GgufFileTest {
    @Test
    void readsReferenceLlamaModel() throws Exception {
        try (GgufFile f = GgufFile.open(SharedData.model("llama.gguf"))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.architecture()).isEqualTo("llama");
            assertThat(f.getInt("llama.embedding_length", -1)).isEqualTo(256);
            assertThat(f.getStringArray("tokenizer.ggml.tokens")).hasSize(512);
            GgufTensorInfo emb = f.tensor("token_embd.weight");
            assertThat(emb.type()).isEqualTo(GgmlType.F32);
            assertThat(emb.dims()).containsExactly(256, 512);
            assertThat(f.tensorData(emb).byteSize()).isEqualTo(256L * 512 * 4);
        }
    }
}
