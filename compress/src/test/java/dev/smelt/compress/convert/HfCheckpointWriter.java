package dev.smelt.compress.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.compress.TensorFloats;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test-side inverse of {@link HfConverter}: writes a Hugging Face checkpoint directory from an F32 GGUF
 * (config.json, safetensors — one file or two shards with an index —, tokenizer.model, tokenizer_config.json),
 * undoing the llama q/k row permutation.
 */
final class HfCheckpointWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfCheckpointWriter() {
    }

    static void write(Path gguf, Path dir, boolean sharded) throws Exception {
        Files.createDirectories(dir);
        try (GgufFile f = GgufFile.open(gguf)) {
            String a = f.architecture();
            ObjectNode c = JSON.createObjectNode();
            c.putArray("architectures").add(switch (a) {
                case "llama" -> "LlamaForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                case "qwen3" -> "Qwen3ForCausalLM";
                default -> throw new IllegalArgumentException(a);
            });
            int heads = f.getInt(a + ".attention.head_count", 0);
            int kv = f.getInt(a + ".attention.head_count_kv", heads);
            c.put("hidden_size", f.getInt(a + ".embedding_length", 0));
            c.put("num_hidden_layers", f.getInt(a + ".block_count", 0));
            c.put("num_attention_heads", heads);
            c.put("num_key_value_heads", kv);
            c.put("intermediate_size", f.getInt(a + ".feed_forward_length", 0));
            c.put("vocab_size", (int) f.tensor("token_embd.weight").rows());
            c.put("max_position_embeddings", f.getInt(a + ".context_length", 0));
            c.put("rope_theta", (double) f.getFloat(a + ".rope.freq_base", 10000f));
            c.put("rms_norm_eps", (double) f.getFloat(a + ".attention.layer_norm_rms_epsilon", 0f));
            if (f.has(a + ".attention.key_length")) {
                c.put("head_dim", f.getInt(a + ".attention.key_length", 0));
            }
            c.put("tie_word_embeddings", f.tensor("output.weight") == null);
            c.put("bos_token_id", f.getInt("tokenizer.ggml.bos_token_id", 0));
            c.put("eos_token_id", f.getInt("tokenizer.ggml.eos_token_id", 0));
            Files.writeString(dir.resolve("config.json"), c.toPrettyString());

            List<SafetensorsWriter> shards = new ArrayList<>(List.of(new SafetensorsWriter(), new SafetensorsWriter()));
            ObjectNode index = JSON.createObjectNode();
            ObjectNode map = index.putObject("weight_map");
            int i = 0;
            for (GgufTensorInfo t : f.tensors()) {
                String hf = HfTensorNames.toHf(t.name());
                float[] v = TensorFloats.decode(f, t);
                if (a.equals("llama") && (t.name().endsWith("attn_q.weight") || t.name().endsWith("attn_k.weight"))) {
                    v = unpermute(v, (int) t.rows(), (int) t.ne0(), t.name().contains("attn_q") ? heads : kv);
                }
                long[] shape = new long[t.dims().length];
                for (int k = 0; k < shape.length; k++) {
                    shape[k] = t.dims()[shape.length - 1 - k];
                }
                int s = sharded ? i++ % 2 : 0;
                shards.get(s).f32(hf, shape, v);
                map.put(hf, "model-0000" + (s + 1) + "-of-00002.safetensors");
            }
            if (sharded) {
                shards.get(0).write(dir.resolve("model-00001-of-00002.safetensors"));
                shards.get(1).write(dir.resolve("model-00002-of-00002.safetensors"));
                Files.writeString(dir.resolve("model.safetensors.index.json"), index.toPrettyString());
            } else {
                shards.get(0).write(dir.resolve("model.safetensors"));
            }

            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            SentencePieceModel spm = new SentencePieceModel(Arrays.asList(tokens), f.getFloatArray("tokenizer.ggml.scores"),
                    f.getIntArray("tokenizer.ggml.token_type"), f.getBool("tokenizer.ggml.add_space_prefix", true));
            Files.write(dir.resolve("tokenizer.model"), spm.encode());
            ObjectNode tc = JSON.createObjectNode();
            tc.put("bos_token", tokens[f.getInt("tokenizer.ggml.bos_token_id", 0)]);
            tc.put("eos_token", tokens[f.getInt("tokenizer.ggml.eos_token_id", 0)]);
            tc.put("unk_token", tokens[f.getInt("tokenizer.ggml.unknown_token_id", 0)]);
            if (f.has("tokenizer.ggml.add_bos_token")) {
                tc.put("add_bos_token", f.getBool("tokenizer.ggml.add_bos_token", true));
            }
            tc.put("chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}");
            Files.writeString(dir.resolve("tokenizer_config.json"), tc.toPrettyString());
        }
    }

    /** HF row j·d/2 + i ← GGUF row 2i + j within each head. */
    static float[] unpermute(float[] v, int rows, int cols, int heads) {
        int d = rows / heads;
        float[] out = new float[v.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(v, (h * d + 2 * i + j) * cols, out, (h * d + j * (d / 2) + i) * cols, cols);
                }
            }
        }
        return out;
    }
}
