package dev.smelt.compress.gptq;

import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.ModelQuantizer;
import dev.smelt.compress.QuantMix;
import dev.smelt.compress.quant.BlockGrid;
import dev.smelt.compress.quant.Quantizers;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Quantizes a model with calibration statistics into the same GGUF types as {@link ModelQuantizer}
 * (so llama.cpp loads the file unchanged), by one of:
 * <ul>
 *   <li>{@code rtn}: importance-weighted rounding per block (llama-quantize with an imatrix);</li>
 *   <li>{@code gptq}: {@link Gptq} per block weight; per tensor, the result with the lower calibration
 *       output error ‖(W − Ŵ)X‖² of GPTQ and rtn is kept (GPTQ wins almost always; the check makes the
 *       method never worse than rtn on the calibration data);</li>
 *   <li>{@code awq}: {@link Awq} scales folded into the previous op, then rtn;</li>
 *   <li>{@code awq-gptq}: AWQ's folding, then GPTQ on the rescaled inputs.</li>
 * </ul>
 *
 * <h2>AWQ folding per architecture</h2>
 * For llama, qwen2 and qwen3 (RMS norm y = x/rms·g, gated FFN down(act(gate)·up)):
 * {@code attn_norm} ← {@code attn_q, attn_k, attn_v} (or fused {@code attn_qkv}), {@code ffn_norm} ←
 * {@code ffn_gate, ffn_up}, and {@code ffn_up}'s rows ← {@code ffn_down} (down's input is linear in up's
 * output). {@code attn_v} ← {@code attn_output} is not folded: with grouped-query attention a row of v
 * feeds several heads' columns of the output projection, and with one head per KV head smelt still
 * skips it (the softmax-weighted sum is linear, but this pair is the least salient in AWQ's ablations).
 * Other architectures (phi3's fused gate/up, gemma3's extra norms) are refused with a message.
 *
 * <p>Thread-safety: stateless; concurrent calls need distinct pools and collectors.
 */
public final class CalibratedQuantizer {
    /** Architectures whose norm/projection pairs {@link #fold} knows. */
    public static final Set<String> AWQ_ARCHITECTURES = Set.of("llama", "qwen2", "qwen3");

    /** The quantization method. */
    public enum Method {
        RTN, GPTQ, AWQ, AWQ_GPTQ;

        /** rtn, gptq, awq or awq-gptq (case-insensitive). */
        public static Method parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --method '" + s + "': use rtn, gptq, awq or awq-gptq");
            }
        }

        boolean awq() {
            return this == AWQ || this == AWQ_GPTQ;
        }

        boolean gptq() {
            return this == GPTQ || this == AWQ_GPTQ;
        }
    }

    /** What was done: tensor types, how many matrices kept GPTQ vs rtn, one line per AWQ group. */
    public record Result(Map<String, GgmlType> types, int gptqKept, int rtnKept, List<String> awqGroups) {
    }

    private CalibratedQuantizer() {
    }

    /**
     * @param stats calibration statistics (modified in place by AWQ's rescaling)
     * @param log   receives one line per AWQ group and per GPTQ tensor
     */
    public static Result quantize(GgufFile source, LlamaFileType ftype, Method method, HessianCollector stats,
            Gptq.Options opt, ThreadPool pool, ModelQuantizer.TensorSink sink, Consumer<String> log) {
        Map<String, GgmlType> types = QuantMix.chooseTypes(ftype, source, true);
        Map<String, float[]> replaced = new HashMap<>();
        List<String> groups = new ArrayList<>();
        if (method.awq()) {
            fold(source, types, stats, replaced, groups, pool, log);
        }
        int[] kept = new int[2];
        ModelQuantizer.MatrixQuantizer custom = !method.gptq() ? null : (t, type, x, rows, cols, imp) -> {
            HessianCollector.Stats s = stats.forWeight(t.name());
            BlockGrid grid = BlockGrid.forType(type);
            if (s == null || s.hessian() == null || grid == null || cols % grid.blockSize() != 0 || s.cols() != cols) {
                return null;
            }
            double[] h = s.hessian();
            byte[] g = Gptq.quantize(type, x, rows, cols, h, imp, opt, pool);
            byte[] r = Quantizers.quantizeMatrix(type, x, rows, cols, imp, pool);
            float[] hf = Gptq.toFloat(h);
            double eg = Gptq.outputError(x, Awq.dequantize(type, g, rows, cols), rows, cols, hf, pool);
            double er = Gptq.outputError(x, Awq.dequantize(type, r, rows, cols), rows, cols, hf, pool);
            boolean useGptq = eg <= er;
            kept[useGptq ? 0 : 1]++;
            log.accept(String.format(Locale.ROOT, "%s %s: output error rtn %.4g, gptq %.4g (%s)", t.name(), type, er, eg,
                    useGptq ? "gptq kept" : "rtn kept"));
            return useGptq ? g : r;
        };
        Map<String, GgmlType> out = ModelQuantizer.quantize(source, ftype, stats.importance(), pool, sink, replaced, custom);
        return new Result(out, kept[0], kept[1], groups);
    }

    /** Searches and applies AWQ scales per layer for the architecture's foldable pairs. */
    private static void fold(GgufFile f, Map<String, GgmlType> types, HessianCollector stats, Map<String, float[]> replaced,
            List<String> groups, ThreadPool pool, Consumer<String> log) {
        String arch = f.getString("general.architecture", "");
        if (!AWQ_ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException(f.path() + ": AWQ folding is defined for " + AWQ_ARCHITECTURES
                    + ", not architecture '" + arch + "'; use --method gptq or rtn");
        }
        int layers = f.getInt(arch + ".block_count", 0);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            List<String> attn = f.tensor(p + "attn_qkv.weight") != null ? List.of(p + "attn_qkv.weight")
                    : List.of(p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight");
            normGroup(f, types, stats, replaced, groups, pool, log, p + "attn_norm.weight", attn);
            normGroup(f, types, stats, replaced, groups, pool, log, p + "ffn_norm.weight",
                    List.of(p + "ffn_gate.weight", p + "ffn_up.weight"));
            if (f.tensor(p + "ffn_gate.weight") != null) {
                String up = p + "ffn_up.weight";
                String down = p + "ffn_down.weight";
                apply(f, types, stats, replaced, groups, pool, log, List.of(down), up, true);
            }
        }
    }

    private static void normGroup(GgufFile f, Map<String, GgmlType> types, HessianCollector stats,
            Map<String, float[]> replaced, List<String> groups, ThreadPool pool, Consumer<String> log, String norm,
            List<String> members) {
        apply(f, types, stats, replaced, groups, pool, log, members, norm, false);
    }

    /**
     * Folds 1/s into {@code prev} (a norm vector, or the rows of a projection when {@code prevRows}) and s
     * into the columns of every member, when all members exist, read one input and are quantized.
     */
    private static void apply(GgufFile f, Map<String, GgmlType> types, HessianCollector stats,
            Map<String, float[]> replaced, List<String> groups, ThreadPool pool, Consumer<String> log, List<String> members,
            String prev, boolean prevRows) {
        GgufTensorInfo prevInfo = f.tensor(prev);
        HessianCollector.Stats s = stats.forWeight(members.get(0));
        if (prevInfo == null || s == null) {
            return;
        }
        List<Awq.Member> group = new ArrayList<>();
        for (String name : members) {
            GgufTensorInfo t = f.tensor(name);
            GgmlType type = types.get(name);
            if (t == null || stats.forWeight(name) != s || t.dims().length != 2 || type == null
                    || !Quantizers.supported().contains(type) || t.ne0() != s.cols()) {
                return;
            }
            group.add(new Awq.Member(name, values(f, t, replaced), (int) t.rows(), (int) t.ne0(), type));
        }
        float[] prevValues = values(f, prevInfo, replaced);
        if (prevRows ? prevInfo.rows() != s.cols() : prevValues.length != s.cols()) {
            return;
        }
        Awq.Choice c = Awq.search(group, s, pool);
        float[] sc = c.scales();
        for (Awq.Member m : group) {
            float[] w = m.w().clone();
            for (int r = 0; r < m.rows(); r++) {
                for (int j = 0; j < m.cols(); j++) {
                    w[r * m.cols() + j] *= sc[j];
                }
            }
            replaced.put(m.name(), w);
        }
        float[] pv = prevValues.clone();
        int rowLen = prevRows ? (int) prevInfo.ne0() : 1;
        for (int j = 0; j < sc.length; j++) {
            for (int k = 0; k < rowLen; k++) {
                pv[j * rowLen + k] /= sc[j];
            }
        }
        replaced.put(prev, pv);
        s.divideInputs(sc);
        String line = String.format(Locale.ROOT, "awq %s -> %s: alpha %.1f, output error %.4g -> %.4g", prev,
                String.join(",", members), c.alpha(), c.errorRtn(), c.errorBest());
        groups.add(line);
        log.accept(line);
    }

    private static float[] values(GgufFile f, GgufTensorInfo t, Map<String, float[]> replaced) {
        float[] v = replaced.get(t.name());
        return v != null ? v : ModelQuantizer.toFloat(f, t, f.tensorData(t));
    }
}
