package dev.smelt.compress;

import dev.smelt.compress.quant.Quantizers;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraApplier;
import dev.smelt.model.lora.LoraLinear;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Bakes a LoRA adapter into a model: W' = W + scale·B·A for every adapted projection (dequantized
 * to F32, the delta added, re-quantized), every other tensor copied byte for byte, all metadata
 * (chat template, tokenizer) kept. Output types: each tensor's original type, or with a file type
 * the types {@link QuantMix} picks for it, as llama-quantize would. Tensors are computed one at a
 * time while the file is written, so only one matrix sits on the heap.
 *
 * <p>Thread-safety: stateless; concurrent calls need distinct pools.
 */
public final class LoraMerger {
    private LoraMerger() {
    }

    /** What a merge wrote. */
    public record Result(int mergedTensors, Map<String, GgmlType> types) {
    }

    /**
     * @param base      the model (its file is read; the model itself is not modified)
     * @param userScale multiplies the adapter's own scale (1 = as trained)
     * @param ftype     re-quantize everything to this mixture, or null to keep every tensor's type
     * @param pool      threads for quantization, or null
     */
    public static Result merge(DecoderModel base, LoraAdapter adapter, float userScale, LlamaFileType ftype, ThreadPool pool, Path out)
            throws IOException {
        if (base == null || adapter == null || out == null) {
            throw new IllegalArgumentException("base, adapter and out are required");
        }
        GgufFile f = base.file();
        if (out.toAbsolutePath().normalize().equals(f.path().toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("output " + out + " must differ from the base model file");
        }
        Map<String, List<LoraLinear.Delta>> deltas = LoraApplier.deltasFor(base, adapter, userScale);
        Map<String, GgmlType> types = new java.util.LinkedHashMap<>();
        if (ftype != null) {
            types.putAll(QuantMix.chooseTypes(ftype, f, false));
        } else {
            f.tensors().forEach(t -> types.put(t.name(), t.type()));
        }
        GgufWriter w = new GgufWriter().putAll(f.metadata());
        if (ftype != null) {
            w.remove("general.file_type").put("general.file_type", GgufValue.uint32(ftype.id()));
            w.remove("general.quantization_version").put("general.quantization_version", GgufValue.uint32(2));
        }
        int merged = 0;
        for (GgufTensorInfo t : f.tensors()) {
            GgmlType target = types.get(t.name());
            List<LoraLinear.Delta> d = deltas.get(t.name());
            if (d != null) {
                merged++;
            }
            if (d == null && target == t.type()) {
                w.tensor(t.name(), t.dims(), target, f.tensorData(t));
            } else {
                w.tensor(t.name(), t.dims(), target, o -> o.write(mergedBytes(f, t, d, target, pool)));
            }
        }
        if (merged != deltas.size()) {
            throw new IllegalStateException("merged " + merged + " tensors but the adapter touches " + deltas.size());
        }
        w.write(out);
        return new Result(merged, types);
    }

    /** The tensor as F32, plus its deltas, in {@code target}'s encoding. */
    static byte[] mergedBytes(GgufFile f, GgufTensorInfo t, List<LoraLinear.Delta> deltas, GgmlType target, ThreadPool pool) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(f.path() + ": tensor " + t.name() + " has " + n + " elements, more than one Java array holds");
        }
        if (!Formats.supports(t.type())) {
            throw new IllegalArgumentException(f.path() + ": tensor " + t.name() + " has type " + t.type() + ", which smelt cannot decode");
        }
        int cols = (int) t.ne0();
        int rows = (int) (n / cols);
        float[] x = new float[(int) n];
        Formats.of(t.type()).dequantize(f.segment(), t.fileOffset(), x, 0, (int) n);
        if (deltas != null) {
            for (LoraLinear.Delta d : deltas) {
                LoraLinear.addTo(x, cols, d);
            }
        }
        if (target == GgmlType.F32) {
            ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(x);
            return b.array();
        }
        return Quantizers.quantizeMatrix(target, x, rows, cols, null, pool);
    }
}
