package dev.smelt.model.lora;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps GGUF projection names ({@code blk.3.attn_q.weight}) to Hugging Face / PEFT module paths
 * ({@code base_model.model.model.layers.3.self_attn.q_proj}) and back, as llama.cpp's
 * {@code convert_hf_to_gguf.py} tensor map pairs them for the supported architectures
 * (phi3: {@code attn_qkv} ↔ {@code qkv_proj}, fused {@code ffn_up} ↔ {@code gate_up_proj}).
 * Stateless, thread-safe.
 */
public final class PeftNames {
    /** The prefix PEFT's {@code get_peft_model_state_dict} gives a causal LM's modules. */
    public static final String PREFIX = "base_model.model.model.layers.";
    private static final Pattern GGUF = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.weight");
    private static final Pattern PEFT = Pattern.compile(
            "base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+)\\.lora_([AB])\\.weight");

    /** A parsed PEFT tensor name. */
    public record PeftTensor(String ggufName, String module, boolean isA) {
    }

    private PeftNames() {
    }

    /** PEFT module name (q_proj, …) of a GGUF projection suffix on {@code arch}, or null. */
    public static String module(String arch, String ggufSuffix) {
        if (arch.equals("phi3")) {
            if (ggufSuffix.equals("attn_qkv")) {
                return "qkv_proj";
            }
            if (ggufSuffix.equals("ffn_up")) {
                return "gate_up_proj";
            }
        }
        return LoraAdapter.peftModule(ggufSuffix);
    }

    /** GGUF suffix for a PEFT module name on {@code arch}, or null. */
    public static String ggufSuffix(String arch, String module) {
        if (arch.equals("phi3")) {
            if (module.equals("qkv_proj")) {
                return "attn_qkv";
            }
            if (module.equals("gate_up_proj")) {
                return "ffn_up";
            }
        }
        return LoraAdapter.ggufSuffix(module);
    }

    /** {@code base_model.model.model.layers.N.self_attn.q_proj} for {@code blk.N.attn_q.weight}. */
    public static String peftPath(String arch, String ggufName) {
        return peftPath(arch, ggufName, false);
    }

    /**
     * As {@link #peftPath(String, String)}; {@code slice}: the pair adapts a row slice of a fused projection
     * (phi3's q/k/v or gate/up), which gets the unfused module name (q_proj … up_proj), as in Phi-3
     * checkpoints with separate projections, instead of qkv_proj / gate_up_proj.
     */
    public static String peftPath(String arch, String ggufName, boolean slice) {
        Matcher m = GGUF.matcher(ggufName);
        String module = !m.matches() ? null : slice ? LoraAdapter.peftModule(m.group(2)) : module(arch, m.group(2));
        if (module == null) {
            throw new IllegalArgumentException("'" + ggufName + "' is not a LoRA-adaptable projection of " + arch
                    + " (expected blk.N.{attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down}.weight)");
        }
        String group = m.group(2).startsWith("attn") ? "self_attn" : "mlp";
        return PREFIX + m.group(1) + "." + group + "." + module;
    }

    /** Parses a PEFT tensor name, or returns null when it is not a LoRA A/B weight we know. */
    public static PeftTensor parse(String arch, String peftName) {
        Matcher m = PEFT.matcher(peftName);
        if (!m.matches()) {
            return null;
        }
        String suffix = ggufSuffix(arch, m.group(3));
        if (suffix == null) {
            return null;
        }
        return new PeftTensor("blk." + m.group(1) + "." + suffix + ".weight", m.group(3), m.group(4).equals("A"));
    }

    /** The GGUF projection suffix of {@code blk.N.SUFFIX.weight}, or null. */
    public static String suffixOf(String ggufName) {
        Matcher m = GGUF.matcher(ggufName);
        return m.matches() ? m.group(2) : null;
    }
}
