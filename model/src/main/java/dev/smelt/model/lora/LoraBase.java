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

    /** {out, in} of a base tensor, or null when unknown. */
    public int[] shape(String ggufName) {
        return shapes.get(ggufName);
    }
}
