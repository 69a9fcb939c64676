package dev.smelt.compress;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * An importance matrix as written by llama.cpp's {@code llama-imatrix} in its GGUF format, turned into
 * the per-column weights llama-quantize passes to the quantizers ({@code quant_weights}).
 *
 * <h2>File format</h2>
 * A GGUF file (see {@link GgufFile} for the byte layout) whose tensors come in pairs per weight
 * matrix {@code W}:
 * <ul>
 *   <li>{@code W.in_sum2}: F32 [ne0 = W's row length, ne1 = number of experts (1 for dense)] —
 *       Σ over calibration tokens of x[i]², the squared activation entering column i;</li>
 *   <li>{@code W.counts}: F32 [1, ne1] — the number of tokens accumulated for each expert.</li>
 * </ul>
 * As in {@code load_imatrix} of llama.cpp's {@code tools/quantize}, importance[j·ne0 + i] =
 * in_sum2[j·ne0 + i] / counts[j] (float division), or 1 for every column of an expert whose count
 * is 0 (it never saw input). Non-finite values are rejected, as llama-quantize does.
 *
 * <p>Thread-safety: immutable after {@link #load}.
 */
public final class ImportanceMatrix {
    private static final String SUMS = ".in_sum2";
    private static final String COUNTS = ".counts";

    private final Map<String, float[]> byTensor;

    private ImportanceMatrix(Map<String, float[]> byTensor) {
        this.byTensor = Collections.unmodifiableMap(byTensor);
    }

    /** Wraps precomputed importance vectors (tensor name → [ne0 · experts]). */
    public static ImportanceMatrix of(Map<String, float[]> byTensor) {
        return new ImportanceMatrix(new TreeMap<>(byTensor));
    }

    /**
     * Reads an imatrix GGUF.
     *
     * @throws IOException when the file cannot be read, a pair is incomplete, a tensor is not F32, the
     *                     shapes disagree or a value is not finite (the message names file and tensor)
     */
    public static ImportanceMatrix load(Path file) throws IOException {
        Map<String, float[]> out = new TreeMap<>();
        try (GgufFile f = GgufFile.open(file)) {
            Map<String, GgufTensorInfo> sums = new HashMap<>();
            Map<String, GgufTensorInfo> counts = new HashMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                if (t.name().endsWith(SUMS)) {
                    sums.put(t.name().substring(0, t.name().length() - SUMS.length()), t);
                } else if (t.name().endsWith(COUNTS)) {
                    counts.put(t.name().substring(0, t.name().length() - COUNTS.length()), t);
                }
            }
            for (Map.Entry<String, GgufTensorInfo> e : sums.entrySet()) {
                String name = e.getKey();
                GgufTensorInfo s = e.getValue();
                GgufTensorInfo c = counts.get(name);
                if (c == null) {
                    throw new IOException(file + ": tensor " + s.name() + " has no matching " + name + COUNTS);
                }
                float[] sum = floats(f, s, file);
                float[] cnt = floats(f, c, file);
                int ne0 = (int) s.ne0();
                int ne1 = (int) s.rows();
                if (cnt.length != ne1) {
                    throw new IOException(file + ": " + c.name() + " has " + cnt.length + " values, " + s.name()
                            + " has " + ne1 + " rows");
                }
                float[] imp = new float[sum.length];
                for (int j = 0; j < ne1; ++j) {
                    float count = cnt[j];
                    for (int i = 0; i < ne0; ++i) {
                        imp[j * ne0 + i] = count > 0.0f ? sum[j * ne0 + i] / count : 1;
                    }
                }
                for (int i = 0; i < imp.length; i++) {
                    if (!Float.isFinite(imp[i])) {
                        throw new IOException(file + ": importance of " + name + " is not finite at index " + i
                                + " (" + imp[i] + ")");
                    }
                }
                out.put(name, imp);
            }
            for (String name : counts.keySet()) {
                if (!sums.containsKey(name)) {
                    throw new IOException(file + ": tensor " + name + COUNTS + " has no matching " + name + SUMS);
                }
            }
        }
        return new ImportanceMatrix(out);
    }

    private static float[] floats(GgufFile f, GgufTensorInfo t, Path file) throws IOException {
        if (t.type() != GgmlType.F32) {
            throw new IOException(file + ": imatrix tensor " + t.name() + " is " + t.type() + ", expected F32");
        }
        MemorySegment seg = f.tensorData(t);
        return seg.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** Importance for the weight tensor {@code name} ([ne0 · experts]), or null when the matrix has none. */
    public float[] forTensor(String name) {
        return byTensor.get(name);
    }

    /** All entries, tensor name → importance. */
    public Map<String, float[]> entries() {
        return byTensor;
    }
}
