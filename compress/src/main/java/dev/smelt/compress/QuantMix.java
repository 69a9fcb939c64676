package dev.smelt.compress;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.GgmlType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chooses each tensor's storage type for a file-type recipe exactly as llama.cpp's
 * {@code src/llama-quant.cpp} ({@code tensor_allows_quantization}, {@code llama_tensor_get_type_impl},
 * {@code tensor_type_fallback}) does with default options (no overrides, not {@code --pure}).
 *
 * <p>Order matters: llama.cpp counts attn_v (and attn_qkv / attn_kv_b) and ffn_down tensors as it walks
 * them, sorted by layer number then name ({@code weight_name_comparer}), and the rule for the i-th one
 * depends on that count. {@link #chooseTypes} therefore takes the whole tensor list.
 *
 * <p>As in current llama.cpp, attn_qkv and attn_kv_b tensors are counted and treated as attn_v (the
 * separate attn_qkv rule that follows in llama.cpp's if-chain is unreachable): phi3's Q4_K_M reference
 * has Q4_K in layer 0 and Q6_K in layer 1, not the Q5_K that older llama.cpp versions wrote.
 *
 * <p>Thread-safety: stateless; each call uses its own counters.
 */
public final class QuantMix {
    private static final Pattern LAYER = Pattern.compile("^blk\\.(-?\\d+)\\.");

    /** A tensor as the mixture rules see it: name, ggml-order dims (ne0 first) and current type. */
    public record TensorSpec(String name, long[] dims, GgmlType type) {
        public TensorSpec {
            if (name == null || dims == null || dims.length == 0 || type == null) {
                throw new IllegalArgumentException("tensor spec needs a name, at least one dim and a type: " + name);
            }
        }

        /** ggml_n_dims: the number of dims up to the last one that is not 1 (at least 1). */
        int nDims() {
            int n = dims.length;
            while (n > 1 && dims[n - 1] == 1) {
                n--;
            }
            return n;
        }
    }

    /**
     * The hyper-parameters the rules read.
     *
     * @param architecture general.architecture, e.g. "llama", "falcon"
     * @param nLayer       block count
     * @param nHead        attention heads
     * @param nHeadKv      key/value heads (n_gqa = nHead / nHeadKv)
     * @param nExpert      experts (0 for dense models)
     */
    public record ModelInfo(String architecture, int nLayer, int nHead, int nHeadKv, int nExpert) {
        public ModelInfo {
            if (nLayer <= 0 || nHead <= 0 || nHeadKv <= 0 || nExpert < 0) {
                throw new IllegalArgumentException("bad model info: layers " + nLayer + ", heads " + nHead
                        + ", kv heads " + nHeadKv + ", experts " + nExpert);
            }
        }

        int nGqa() {
            return nHead / nHeadKv;
        }

        /** llama.cpp's LLM_TYPE_70B test: llama with 80 layers and grouped-query attention. */
        boolean is70B() {
            return "llama".equals(architecture) && nLayer == 80 && nHead != nHeadKv;
        }

        boolean isFalcon() {
            return "falcon".equals(architecture);
        }

        /** Reads the hyper-parameters from a GGUF header ({@code <arch>.block_count} etc.). */
        public static ModelInfo from(GgufFile f) {
            String arch = f.architecture();
            int layers = f.getInt(arch + ".block_count", -1);
            int heads = f.getInt(arch + ".attention.head_count", -1);
            int kv = f.getInt(arch + ".attention.head_count_kv", heads);
            int experts = f.getInt(arch + ".expert_count", 0);
            if (layers <= 0 || heads <= 0) {
                throw new IllegalArgumentException(f.path() + ": missing or bad " + arch + ".block_count (" + layers
                        + ") or " + arch + ".attention.head_count (" + heads + ")");
            }
            return new ModelInfo(arch, layers, heads, kv, experts);
        }
    }

    private enum Category { TOKEN_EMBD, ATTENTION_Q, ATTENTION_V, ATTENTION_K, ATTENTION_QKV, ATTENTION_KV_B,
        ATTENTION_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN, OUTPUT, OTHER }

    private QuantMix() {
    }

    /**
     * The type llama-quantize gives each tensor.
     *
     * @param hasImatrix whether an importance matrix is supplied (changes a few rules)
     * @return tensor name → type, in the input order; tensors that are not quantized keep their type
     */
    public static Map<String, GgmlType> chooseTypes(LlamaFileType ftype, ModelInfo model, List<TensorSpec> tensors,
            boolean hasImatrix) {
        if (ftype == null || model == null || tensors == null) {
            throw new IllegalArgumentException("ftype, model and tensors are required");
        }
        State s = new State();
        s.hasImatrix = hasImatrix;
        for (TensorSpec t : tensors) {
            Category c = category(t.name());
            if (isAttnV(c)) {
                s.nAttentionWv++;
            }
            if (c == Category.OUTPUT) {
                s.tiedEmbeddings = false;
            }
        }
        s.nFfnDown = model.nLayer();
        List<TensorSpec> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparingInt((TensorSpec t) -> layerOf(t.name())).thenComparing(TensorSpec::name));
        Map<String, GgmlType> chosen = new LinkedHashMap<>();
        for (TensorSpec t : ordered) {
            chosen.put(t.name(), typeFor(s, ftype, model, t));
        }
        Map<String, GgmlType> inInputOrder = new LinkedHashMap<>();
        for (TensorSpec t : tensors) {
            inInputOrder.put(t.name(), chosen.get(t.name()));
        }
        return inInputOrder;
    }

    /** Reads the tensor list and hyper-parameters from a GGUF file and applies {@link #chooseTypes}. */
    public static Map<String, GgmlType> chooseTypes(LlamaFileType ftype, GgufFile source, boolean hasImatrix) {
        List<TensorSpec> specs = new ArrayList<>();
        source.tensors().forEach(t -> specs.add(new TensorSpec(t.name(), t.dims(), t.type())));
        return chooseTypes(ftype, ModelInfo.from(source), specs, hasImatrix);
    }

    private static final class State {
        int nAttentionWv;
        int iAttentionWv;
        int nFfnDown;
        int iFfnDown;
        boolean hasImatrix;
        boolean tiedEmbeddings = true;
    }

    private static int layerOf(String name) {
        Matcher m = LAYER.matcher(name);
        if (m.find()) {
            try {
                return Integer.parseInt(m.group(1));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    private static Category category(String name) {
        if (name.equals("output.weight")) {
            return Category.OUTPUT;
        }
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) {
            return Category.TOKEN_EMBD;
        }
        if (name.contains("attn_qkv.weight")) {
            return Category.ATTENTION_QKV;
        }
        if (name.contains("attn_kv_b.weight")) {
            return Category.ATTENTION_KV_B;
        }
        if (name.contains("attn_v.weight")) {
            return Category.ATTENTION_V;
        }
        if (name.contains("attn_k.weight")) {
            return Category.ATTENTION_K;
        }
        if (name.contains("attn_q.weight")) {
            return Category.ATTENTION_Q;
        }
        if (name.contains("attn_output.weight")) {
            return Category.ATTENTION_OUTPUT;
        }
        if (name.contains("ffn_up")) {
            return Category.FFN_UP;
        }
        if (name.contains("ffn_gate")) {
            return Category.FFN_GATE;
        }
        if (name.contains("ffn_down")) {
            return Category.FFN_DOWN;
        }
        return Category.OTHER;
    }

    private static boolean isAttnV(Category c) {
        return c == Category.ATTENTION_V || c == Category.ATTENTION_QKV || c == Category.ATTENTION_KV_B;
    }

    /** tensor_allows_quantization with default params (the subset of name rules for text models). */
    static boolean allowsQuantization(TensorSpec t) {
        if (t.nDims() < 2) {
            return false;
        }
        String name = t.name();
        boolean q = name.endsWith("weight");
        q &= !name.contains("_norm.weight");
        q &= !name.contains("ffn_gate_inp.weight");
        q &= !name.contains("ffn_gate_tid2eid.weight");
        q &= !name.contains("altup");
        q &= !name.contains("laurel");
        q &= !name.contains("per_layer_model_proj");
        q &= !name.equals("position_embd.weight");
        q &= !name.equals("token_types.weight");
        q &= !name.contains("ssm_conv1d");
        q &= !name.contains("shortconv.conv.weight");
        q &= !name.contains("time_mix_");
        q &= !name.contains("attn_rel_b.weight");
        return q;
    }

    private static boolean useMoreBits(int iLayer, int nLayers) {
        return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
    }

    private static GgmlType typeFor(State s, LlamaFileType ftype, ModelInfo m, TensorSpec t) {
        if (!allowsQuantization(t)) {
            return t.type();
        }
        GgmlType type = ftype.defaultType();
        if (!type.isQuantized()) {
            return type;
        }
        type = mixture(s, ftype, m, t, category(t.name()), type);
        return fallback(t, type);
    }

    /** llama_tensor_get_type_impl, restricted to the recipes in {@link LlamaFileType}. */
    private static GgmlType mixture(State s, LlamaFileType ftype, ModelInfo m, TensorSpec t, Category c, GgmlType type) {
        boolean falcon = m.isFalcon();
        if (c == Category.OUTPUT || (s.tiedEmbeddings && c == Category.TOKEN_EMBD)) {
            long nx = t.dims()[0];
            if (falcon || nx % type.blockSize() != 0) {
                return GgmlType.Q8_0;
            }
            return type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        }
        if (c == Category.TOKEN_EMBD) {
            return type; // no rule for the recipes supported here
        }
        if (isAttnV(c)) {
            switch (ftype) {
                case Q2_K -> type = m.nGqa() >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q2_K_S -> type = m.nGqa() >= 4 ? GgmlType.Q4_K : type;
                case Q3_K_M -> type = s.iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> type = GgmlType.Q5_K;
                case IQ4_NL, IQ4_XS -> type = m.nGqa() >= 4 ? GgmlType.Q5_K : type;
                case Q4_K_M, Q5_K_M -> type = useMoreBits(s.iAttentionWv, s.nAttentionWv) ? GgmlType.Q6_K : type;
                case Q4_K_S -> type = s.iAttentionWv < 4 ? GgmlType.Q5_K : type;
                default -> { }
            }
            if (m.is70B() && (type == GgmlType.Q3_K || type == GgmlType.Q4_K)) {
                type = GgmlType.Q5_K;
            }
            if (m.nExpert() == 8) {
                type = GgmlType.Q8_0;
            }
            s.iAttentionWv++;
            return type;
        }
        if (c == Category.ATTENTION_K) {
            return m.nExpert() == 8 ? GgmlType.Q8_0 : type;
        }
        if (c == Category.FFN_DOWN) {
            int iLayer = s.iFfnDown;
            int nLayer = s.nFfnDown;
            if (m.nExpert() > 1) {
                iLayer = layerOf(t.name());
                if (iLayer < 0 || iLayer >= nLayer) {
                    throw new IllegalArgumentException("bad layer " + iLayer + " for tensor " + t.name()
                            + "; must be in [0, " + nLayer + ")");
                }
            }
            switch (ftype) {
                case Q2_K -> type = GgmlType.Q3_K;
                case Q2_K_S -> type = iLayer < nLayer / 8 ? GgmlType.Q4_K : type;
                case Q3_K_M -> type = iLayer < nLayer / 16 ? GgmlType.Q5_K
                        : !falcon || useMoreBits(iLayer, nLayer) ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q3_K_L -> type = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
                case Q4_K_M -> {
                    if (falcon) {
                        type = iLayer < nLayer / 16 ? GgmlType.Q6_K
                                : useMoreBits(iLayer, nLayer) ? GgmlType.Q5_K : GgmlType.Q4_K;
                    } else if (useMoreBits(iLayer, nLayer)) {
                        type = GgmlType.Q6_K;
                    }
                }
                case IQ4_NL, IQ4_XS -> type = iLayer < nLayer / 8 && !s.hasImatrix ? GgmlType.Q5_K : type;
                case Q5_K_M -> type = useMoreBits(iLayer, nLayer) ? GgmlType.Q6_K : type;
                case Q4_K_S -> type = !falcon && iLayer < nLayer / 8 ? GgmlType.Q5_K : type;
                case Q4_0, Q5_0 -> {
                    // llama.cpp guards the first ffn_down layers only when an imatrix is given
                    if (s.hasImatrix && iLayer < nLayer / 8) {
                        type = ftype == LlamaFileType.Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
                    }
                }
                default -> { }
            }
            s.iFfnDown++;
            return type;
        }
        if (c == Category.ATTENTION_OUTPUT) {
            if (!falcon) {
                if (m.nExpert() == 8) {
                    switch (ftype) {
                        case Q2_K, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ4_XS -> type = GgmlType.Q5_K;
                        default -> { }
                    }
                } else {
                    switch (ftype) {
                        case Q2_K -> type = GgmlType.Q3_K;
                        case Q3_K_M -> type = GgmlType.Q4_K;
                        case Q3_K_L -> type = GgmlType.Q5_K;
                        default -> { }
                    }
                }
            } else if (ftype == LlamaFileType.Q3_K_L) {
                type = GgmlType.Q4_K;
            }
            return type;
        }
        return type;
    }

    /** tensor_type_fallback: a compatible type when the row length is not a multiple of the block size. */
    private static GgmlType fallback(TensorSpec t, GgmlType type) {
        long ncols = t.dims()[0];
        if (ncols % type.blockSize() == 0) {
            return type;
        }
        GgmlType r = switch (type) {
            case IQ4_XS -> GgmlType.IQ4_NL;
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException(
                    "no tensor type fallback is defined for type " + type + " (tensor " + t.name() + ", ncols " + ncols + ")");
        };
        return ncols % r.blockSize() != 0 ? GgmlType.F16 : r;
    }
}
