package dev.smelt.compress.convert;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face → GGUF tensor names for llama / qwen2 / qwen3 (llama.cpp's {@code gguf-py}
 * tensor_mapping for these architectures). Stateless.
 */
final class HfTensorNames {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");
    private static final Map<String, String> BLOCK = Map.ofEntries(
            Map.entry("input_layernorm.weight", "attn_norm.weight"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"),
            Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
            Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
            Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
            Map.entry("self_attn.o_proj.weight", "attn_output.weight"),
            Map.entry("self_attn.q_norm.weight", "attn_q_norm.weight"),
            Map.entry("self_attn.k_norm.weight", "attn_k_norm.weight"),
            Map.entry("post_attention_layernorm.weight", "ffn_norm.weight"),
            Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"),
            Map.entry("mlp.up_proj.weight", "ffn_up.weight"),
            Map.entry("mlp.down_proj.weight", "ffn_down.weight"));

    private HfTensorNames() {
    }

    /** True for tensors convert_hf_to_gguf drops (precomputed rotary frequencies). */
    static boolean skipped(String hf) {
        return hf.endsWith(".rotary_emb.inv_freq");
    }

    /** The GGUF name, or null when the tensor has no mapping. */
    static String toGguf(String hf) {
        String g = GLOBAL.get(hf);
        if (g != null) {
            return g;
        }
        Matcher m = LAYER.matcher(hf);
        if (m.matches()) {
            String b = BLOCK.get(m.group(2));
            return b == null ? null : "blk." + m.group(1) + "." + b;
        }
        return null;
    }

    /** The Hugging Face name for a GGUF name (inverse of {@link #toGguf}), or null. */
    static String toHf(String gguf) {
        for (Map.Entry<String, String> e : GLOBAL.entrySet()) {
            if (e.getValue().equals(gguf)) {
                return e.getKey();
            }
        }
        Matcher m = Pattern.compile("blk\\.(\\d+)\\.(.+)").matcher(gguf);
        if (m.matches()) {
            for (Map.Entry<String, String> e : BLOCK.entrySet()) {
                if (e.getValue().equals(m.group(2))) {
                    return "model.layers." + m.group(1) + "." + e.getKey();
                }
            }
        }
        return null;
    }
}
