package dev.smelt.model;

import dev.smelt.model.text.Quote;
import dev.smelt.model.gguf.GgufFile;

/**
 * Hyper-parameters of a decoder read from GGUF metadata ({@code ARCH.*} keys as llama.cpp names them).
 *
 * @param dim            embedding width (n_embd)
 * @param layers         block count
 * @param heads          query heads
 * @param kvHeads        key/value heads (GQA)
 * @param headDim        per-head width of keys/queries (attention.key_length, default dim/heads)
 * @param ffnDim         feed-forward width
 * @param vocab          vocabulary size (rows of token_embd)
 * @param contextLength  trained context
 * @param normEps        RMSNorm epsilon
 * @param ropeBase       rope.freq_base
 * @param ropeBaseSwa    rope base for sliding-window layers (gemma3 uses 10000 there)
 * @param ropeDim        rotated dims per head (rope.dimension_count, default headDim)
 * @param ropeScale      linear position scale (1 / rope.scaling.factor when type is linear), else 1
 * @param slidingWindow  sliding-window size (0: none)
 * @param attnSoftcap    attention logit soft-cap (0: none)
 * @param finalSoftcap   final logit soft-cap (0: none)
 */
public record ModelConfig(String architecture, int dim, int layers, int heads, int kvHeads, int headDim, int ffnDim,
                          int vocab, int contextLength, float normEps, float ropeBase, float ropeBaseSwa, int ropeDim,
                          float ropeScale, int slidingWindow, float attnSoftcap, float finalSoftcap) {

    public int kvDim() {
        return kvHeads * headDim;
    }

    public int qDim() {
        return heads * headDim;
    }

    public static ModelConfig read(GgufFile f, String arch, int vocab) {
        String p = arch + ".";
        int dim = required(f, p + "embedding_length");
        int layers = required(f, p + "block_count");
        if (layers > f.tensors().size()) { // every block has tensors: bound the count before arrays are sized by it
            throw new ModelException(f.path() + ": metadata '" + p + "block_count' is " + layers + ", more than the file's "
                    + f.tensors().size() + " tensors");
        }
        int heads = required(f, p + "attention.head_count");
        int kvHeads = f.getInt(p + "attention.head_count_kv", heads);
        if (f.getArray(p + "attention.head_count_kv") != null || f.getArray(p + "attention.head_count") != null) {
            throw new ModelException(f.path() + ": per-layer head counts (" + p + "attention.head_count_kv as an array) are not supported");
        }
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelException(f.path() + ": " + p + "attention.head_count " + heads + " is not a positive multiple of head_count_kv " + kvHeads);
        }
        int headDim = f.getInt(p + "attention.key_length", dim / heads);
        int valueDim = f.getInt(p + "attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new ModelException(f.path() + ": attention.value_length " + valueDim + " != key_length " + headDim + " is not supported");
        }
        int ffn = required(f, p + "feed_forward_length");
        float eps = f.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        float base = f.getFloat(p + "rope.freq_base", 10000f);
        int ropeDim = f.getInt(p + "rope.dimension_count", headDim);
        float ropeScale = 1f;
        String scaling = f.getString(p + "rope.scaling.type", "none");
        float factor = f.getFloat(p + "rope.scaling.factor", 0f);
        if ("linear".equals(scaling) && factor > 0) {
            ropeScale = 1f / factor;
        } else if (!"none".equals(scaling) && !"linear".equals(scaling)) {
            throw new ModelException(f.path() + ": " + p + "rope.scaling.type " + Quote.of(scaling) + " is not supported (none, linear; llama3 scaling via rope_freqs)");
        }
        int context = 2048;
        if (f.has(p + "context_length")) {
            context = required(f, p + "context_length");
        }
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab,
                context, eps, base, arch.equals("gemma3") ? 10000f : base, ropeDim, ropeScale,
                f.getInt(p + "attention.sliding_window", 0),
                f.getFloat(p + "attn_logit_softcapping", 0f), f.getFloat(p + "final_logit_softcapping", 0f));
    }

    private static int required(GgufFile f, String key) {
        long v = f.getLong(key, -1);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new ModelException(f.path() + ": metadata '" + key + "' is " + (f.has(key) ? "invalid: " + Quote.cut(f.get(key))
                    + " (must be a positive integer)" : "missing"));
        }
        return (int) v;
    }
}
