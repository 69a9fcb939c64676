package dev.smelt.model.lora;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What adapter files need to know about the base model: its GGUF architecture (for name mapping and
 * llama's q/k row permutation), head counts, a display name, and the shapes of its 2-D block
 * projections so that an adapter for the wrong model is refused. Immutable, thread-safe.
 *
 * @param architecture {@code general.architecture}, e.g. {@code llama}
 * @param heads        attention heads (q)
 * @param kvHeads      key/value heads
 * @param name         written as PEFT's {@code base_model_name_or_path}
 * @param shapes       GGUF tensor name → {out, in} for every 2-D {@code blk.*} tensor; empty means unchecked
 */
public record LoraBase(String architecture, int heads, int kvHeads, String name, Map<String, int[]> shapes) {

    public LoraBase {
        if (architecture == null || architecture.isEmpty()) {
            throw new IllegalArgumentException("base architecture is required");
        }
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("base heads " + heads + " / kv heads " + kvHeads + " are not valid");
        }
        name = name == null ? "" : name;
        shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
    }

    /** Reads the facts from a GGUF model file. */
    public static LoraBase of(GgufFile f) {
        String arch = f.architecture();
        if (arch == null) {
            throw new IllegalArgumentException(f.path() + ": metadata 'general.architecture' is missing");
        }
        int heads = f.getInt(arch + ".attention.head_count", 0);
        int kv = f.getInt(arch + ".attention.head_count_kv", heads);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            if (t.name().startsWith("blk.") && t.dims().length == 2) {
                shapes.put(t.name(), new int[] {(int) t.dims()[1], (int) t.dims()[0]});
            }
        }
        String name = f.getString("general.name", f.path().getFileName().toString());
        return new LoraBase(arch, heads, kv, name, shapes);
    }

    /**
     * True when llama.cpp's converter permuted q/k rows from Hugging Face's rotate-half layout into
     * GGUF's interleaved (NORM rope) layout: {@code convert_hf_to_gguf.py} does it for the llama
     * architecture (Llama, Mistral, SmolLM), whose GGUF rope is NORM; NEOX architectures keep HF order.
     */
    public boolean permutesQk() {
        return architecture.equals("llama");
    }

    /** phi3 stores q|k|v as one {@code attn_qkv} and gate|up as one {@code ffn_up}. */
    public boolean fusedProjections() {
        return architecture.equals("phi3");
    }

    /** Where a pair adapting a row slice of a fused projection lands: the fused tensor and the slice's first row. */
    public record FusedSlice(String fused, int offset) {
    }

    /**
     * For a base with fused projections, the fused tensor and offset of the pair {@code ggufName} with
     * {@code out} rows when it adapts a row slice (phi3: {@code attn_q|k|v} of {@code attn_qkv}, whose
     * head_dim follows from its rows = head_dim·(heads + 2·kv_heads); {@code ffn_gate|ffn_up} halves of
     * the fused {@code ffn_up}); null when the pair is not such a slice (a whole projection, or unknown shapes).
     */
    public FusedSlice fusedSlice(String ggufName, int out) {
        String suffix = fusedProjections() ? PeftNames.suffixOf(ggufName) : null;
        if (suffix == null) {
            return null;
        }
        String layer = ggufName.substring(0, ggufName.length() - suffix.length() - ".weight".length());
        switch (suffix) {
            case "attn_q", "attn_k", "attn_v" -> {
                String fused = layer + "attn_qkv.weight";
                int[] s = shapes.get(fused);
                if (s == null || s[0] % (heads + 2 * kvHeads) != 0) {
                    return null;
                }
                int hd = s[0] / (heads + 2 * kvHeads);
                int q = heads * hd;
                int kv = kvHeads * hd;
                int rows = suffix.equals("attn_q") ? q : kv;
                int off = switch (suffix) {
                    case "attn_q" -> 0;
                    case "attn_k" -> q;
                    default -> q + kv;
                };
                return out == rows ? new FusedSlice(fused, off) : null;
            }
            case "ffn_gate", "ffn_up" -> {
                String fused = layer + "ffn_up.weight";
                int[] s = shapes.get(fused);
                if (s == null || s[0] % 2 != 0 || out != s[0] / 2 || shapes.containsKey(layer + "ffn_gate.weight")) {
                    return null;
                }
                return new FusedSlice(fused, suffix.equals("ffn_gate") ? 0 : s[0] / 2);
            }
            default -> {
                return null;
            }
        }
    }

    /** {out, in} of a base tensor, or null when unknown. */
    public int[] shape(String ggufName) {
        return shapes.get(ggufName);
    }
}
