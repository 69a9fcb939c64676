package dev.smelt.model.lora;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA weights for some of a model's block projections: W' = W + scale · B·A, with
 * scale = alpha / rank (or alpha / √rank for rsLoRA). The shared currency between training
 * (which produces it), adapter files (PEFT, GGUF LoRA) and inference (which applies it).
 *
 * @param rank          r
 * @param alpha         LoRA alpha
 * @param rsLora        true: scale by alpha / √r (rank-stabilized LoRA)
 * @param targetModules PEFT module names trained, e.g. {@code q_proj}, {@code down_proj}
 * @param pairs         by GGUF base tensor name, e.g. {@code blk.0.attn_q.weight}; iteration order kept. Each
 *                      has rank r, except in an adapter read from a GGUF file whose tensors have their own
 *                      ranks (llama.cpp scales each by alpha / its rank; the reader folds that into B, so
 *                      {@link #scale()} applies to every pair alike)
 *
 * <p>Immutable container over mutable arrays: trainers update A and B in place; share it between
 * threads only once training is done.
 */
public record LoraAdapter(int rank, float alpha, boolean rsLora, List<String> targetModules, Map<String, Pair> pairs) {

    /**
     * One adapted projection of base shape [out, in].
     *
     * @param baseName GGUF name of the base weight
     * @param a        [rank, in] (PEFT lora_A.weight)
     * @param b        [out, rank] (PEFT lora_B.weight; zero at initialization)
     */
    public record Pair(String baseName, int in, int out, float[] a, float[] b) {
        public Pair {
            if (in <= 0 || out <= 0 || a.length % in != 0 || b.length % out != 0 || a.length / in != b.length / out) {
                throw new IllegalArgumentException("LoRA pair " + baseName + ": A has " + a.length + " values, B " + b.length
                        + ", which do not fit [r, " + in + "] and [" + out + ", r]");
            }
        }

        public int rank() {
            return a.length / in;
        }
    }

    public LoraAdapter {
        if (rank <= 0) {
            throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        }
        if (!(alpha > 0) || Float.isInfinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be a positive number, got " + alpha);
        }
        targetModules = List.copyOf(targetModules);
        pairs = Collections.unmodifiableMap(new LinkedHashMap<>(pairs));
    }

    /** The factor applied to B·A. */
    public float scale() {
        return rsLora ? (float) (alpha / Math.sqrt(rank)) : alpha / rank;
    }

    /** PEFT module name (q_proj …) for a GGUF projection suffix (attn_q …), or null. */
    public static String peftModule(String ggufSuffix) {
        return switch (ggufSuffix) {
            case "attn_q" -> "q_proj";
            case "attn_k" -> "k_proj";
            case "attn_v" -> "v_proj";
            case "attn_output" -> "o_proj";
            case "ffn_gate" -> "gate_proj";
            case "ffn_up" -> "up_proj";
            case "ffn_down" -> "down_proj";
            default -> null;
        };
    }

    /** GGUF projection suffix (attn_q …) for a PEFT module name (q_proj …), or null. */
    public static String ggufSuffix(String peftModule) {
        return switch (peftModule) {
            case "q_proj" -> "attn_q";
            case "k_proj" -> "attn_k";
            case "v_proj" -> "attn_v";
            case "o_proj" -> "attn_output";
            case "gate_proj" -> "ffn_gate";
            case "up_proj" -> "ffn_up";
            case "down_proj" -> "ffn_down";
            default -> null;
        };
    }
}
