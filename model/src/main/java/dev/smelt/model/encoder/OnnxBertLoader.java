package dev.smelt.model.encoder;

import dev.smelt.model.onnx.OnnxFormatException;
import dev.smelt.model.onnx.OnnxModel;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps the initializers of a PyTorch-exported BERT ONNX graph (Hugging Face {@code BertModel} through
 * {@code torch.onnx} / optimum, as in the langchain4j artifacts) to {@link BertWeights}.
 *
 * <p>Exporters keep the parameter names of biases and LayerNorms but often rename MatMul weights to
 * {@code onnx::MatMul_NNN}, stored [in, out] (x·W). Each such weight is resolved through the graph: the
 * MatMul that reads it feeds an Add whose other input is a named bias {@code X.bias}, so the weight is
 * {@code X.weight}, transposed here to [out, in]. The head count is read from the constant shape that
 * splits the first query projection into heads. Anything else (fused attention, quantized MatMulInteger,
 * external data) fails with the name of the node or initializer that does not fit. Stateless.
 */
public final class OnnxBertLoader {
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private OnnxBertLoader() {
    }

    /**
     * @param heads attention heads, or 0 to read them from the graph
     * @param eps   LayerNorm epsilon (BERT: 1e-12)
     */
    public static BertWeights load(OnnxModel m, int heads, float eps, Pooling pooling, boolean normalize, int maxTokens) {
        return load(m, heads, eps, pooling, normalize, maxTokens, (name, v) -> { });
    }

    /** As above; {@code derived} also receives every tensor by Hugging Face name ([out, in] weights), e.g. to cache them. */
    public static BertWeights load(OnnxModel m, int heads, float eps, Pooling pooling, boolean normalize, int maxTokens,
                                   java.util.function.BiConsumer<String, float[]> derived) {
        Map<String, float[]> byName = matmulWeights(m);
        java.util.function.Function<String, float[]> tensor = name -> {
            float[] v = byName.get(name);
            if (v == null) {
                OnnxModel.Initializer t = m.initializers().get(name);
                if (t == null) {
                    t = m.initializers().get("bert." + name);
                }
                if (t == null) {
                    throw new OnnxFormatException(m.source() + ": no initializer for BERT parameter '" + name + "'");
                }
                v = t.floats();
            }
            derived.accept(name, v);
            return v;
        };
        OnnxModel.Initializer word = init(m, "embeddings.word_embeddings.weight");
        OnnxModel.Initializer pos = init(m, "embeddings.position_embeddings.weight");
        OnnxModel.Initializer type = init(m, "embeddings.token_type_embeddings.weight");
        int hidden = (int) word.dims()[1];
        int layers = 0;
        for (String name : m.initializers().keySet()) {
            Matcher mm = LAYER.matcher(strip(name));
            if (mm.find()) {
                layers = Math.max(layers, Integer.parseInt(mm.group(1)) + 1);
            }
        }
        int intermediate = (int) init(m, "encoder.layer.0.intermediate.dense.bias").dims()[0];
        int h = heads > 0 ? heads : heads(m);
        int maxPos = (int) pos.dims()[0];
        BertConfig c = new BertConfig((int) word.dims()[0], hidden, layers, h, intermediate, maxPos, (int) type.dims()[0],
                eps, pooling, normalize, Math.min(maxTokens, maxPos));
        return HfBertNames.build(c, tensor);
    }

    /** The MatMul weights of the graph by Hugging Face name ({@code X.weight}), transposed to [out, in]. */
    static Map<String, float[]> matmulWeights(OnnxModel m) {
        Map<String, float[]> byName = new HashMap<>();
        for (OnnxModel.Node n : m.nodes()) {
            if (n.opType().equals("MatMulInteger") || n.opType().equals("QLinearMatMul") || n.opType().equals("Attention")) {
                throw new OnnxFormatException(m.source() + ": node '" + n.name() + "' has op_type " + n.opType()
                        + ", which smelt does not support (quantized or fused graphs); use the float32 export");
            }
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2 || !m.initializers().containsKey(n.inputs().get(1))) {
                continue;
            }
            OnnxModel.Initializer w = m.initializers().get(n.inputs().get(1));
            if (w.dims().length != 2) {
                throw new OnnxFormatException(m.source() + ": MatMul node '" + n.name() + "' reads initializer '" + w.name()
                        + "' of dims " + java.util.Arrays.toString(w.dims()) + ", expected a 2-D weight");
            }
            String base = w.name().endsWith(".weight") ? w.name().substring(0, w.name().length() - 7) : biasBase(m, n);
            if (base == null) {
                throw new OnnxFormatException(m.source() + ": cannot name the weight '" + w.name() + "' of MatMul node '" + n.name()
                        + "': its output feeds no Add with a named '*.bias' initializer");
            }
            byName.put(base + ".weight", transpose(w.floats(), (int) w.dims()[0], (int) w.dims()[1]));
        }
        return byName;
    }

    private static String strip(String name) {
        return name.startsWith("bert.") ? name.substring(5) : name;
    }

    private static OnnxModel.Initializer init(OnnxModel m, String name) {
        OnnxModel.Initializer t = m.initializers().get(name);
        if (t == null) {
            t = m.initializers().get("bert." + name);
        }
        if (t == null) {
            throw new OnnxFormatException(m.source() + ": not a BERT graph: no initializer '" + name + "'");
        }
        return t;
    }

    /** The X of the named bias X.bias that is added to this MatMul's output, or null. */
    private static String biasBase(OnnxModel m, OnnxModel.Node matmul) {
        String out = matmul.outputs().getFirst();
        for (OnnxModel.Node n : m.nodes()) {
            if (n.opType().equals("Add") && n.inputs().contains(out)) {
                for (String in : n.inputs()) {
                    if (!in.equals(out) && in.endsWith(".bias") && m.initializers().containsKey(in)) {
                        return strip(in.substring(0, in.length() - 5));
                    }
                }
            }
        }
        return null;
    }

    /**
     * Heads from the Reshape that splits layer 0's query into [batch, seq, heads, head_dim]: its shape is
     * either a constant or a Concat whose third input is a constant.
     */
    private static int heads(OnnxModel m) {
        String queryBias = m.initializers().containsKey("encoder.layer.0.attention.self.query.bias")
                ? "encoder.layer.0.attention.self.query.bias" : "bert.encoder.layer.0.attention.self.query.bias";
        String q = null;
        for (OnnxModel.Node n : m.nodes()) {
            if (n.opType().equals("Add") && n.inputs().contains(queryBias)) {
                q = n.outputs().getFirst();
            }
        }
        Map<String, OnnxModel.Node> byOutput = new HashMap<>();
        for (OnnxModel.Node n : m.nodes()) {
            for (String o : n.outputs()) {
                byOutput.put(o, n);
            }
        }
        for (OnnxModel.Node n : m.nodes()) {
            if (q != null && n.opType().equals("Reshape") && n.inputs().getFirst().equals(q)) {
                String shape = n.inputs().get(1);
                long[] v = constant(m, shape);
                if (v != null && v.length == 4) {
                    return (int) v[2];
                }
                OnnxModel.Node concat = byOutput.get(shape);
                if (concat != null && concat.opType().equals("Concat") && concat.inputs().size() == 4) {
                    long[] hv = constant(m, concat.inputs().get(2));
                    if (hv != null && hv.length == 1) {
                        return (int) hv[0];
                    }
                }
                throw new OnnxFormatException(m.source() + ": cannot read the head count from Reshape node '" + n.name()
                        + "'; put a config.json (num_attention_heads) next to the model");
            }
        }
        throw new OnnxFormatException(m.source() + ": no Reshape splits layer 0's query into heads"
                + (q == null ? " (no Add reads '" + queryBias + "')" : "") + "; put a config.json (num_attention_heads) next to the model");
    }

    private static long[] constant(OnnxModel m, String name) {
        OnnxModel.Initializer t = m.constants().get(name);
        if (t == null) {
            t = m.initializers().get(name);
        }
        return t != null && t.dataType() == OnnxModel.INT64 ? t.longs() : null;
    }

    /** [rows, cols] → [cols, rows]. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }
}
