package dev.smelt.compress;

import dev.smelt.compress.quant.Quantizers;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Quantizes every tensor of a model the way {@code llama-quantize} does: {@link QuantMix} picks each
 * tensor's type, tensors already of that type are copied unchanged, others are converted to fp32 (from
 * F32, F16 or BF16; re-quantizing an already quantized tensor is refused, as llama-quantize does by
 * default) and quantized row by row, with the imatrix entry of the same name when its length equals
 * the row length times the expert count.
 *
 * <p>Thread-safety: stateless; concurrent calls need distinct pools.
 */
public final class ModelQuantizer {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Receives each output tensor, in the source file's order. */
    @FunctionalInterface
    public interface TensorSink {
        /**
         * @param dims  ggml-order dims (ne0 first), unchanged from the source
         * @param data  the tensor's bytes in {@code type}
         */
        void accept(GgufTensorInfo source, GgmlType type, byte[] data);
    }

    /**
     * Quantizes one 2-D weight matrix another way than importance-weighted rounding (GPTQ), or returns
     * null to keep the default.
     */
    @FunctionalInterface
    public interface MatrixQuantizer {
        /**
         * @param x          [rows, cols] the weights to quantize (after any replacement)
         * @param importance [cols] the importance the default path would use, or null
         * @return rows × type.bytesFor(cols) bytes, or null
         */
        byte[] quantize(GgufTensorInfo t, GgmlType type, float[] x, int rows, int cols, float[] importance);
    }

    private ModelQuantizer() {
    }

    /**
     * @param importance imatrix or null
     * @param pool       threads for row-parallel quantization, or null for the caller's thread
     * @return tensor name → chosen type
     * @throws IllegalArgumentException when a tensor would need re-quantization or is too large for
     *                                  one Java array (the message names the tensor)
     */
    public static Map<String, GgmlType> quantize(GgufFile source, LlamaFileType ftype, ImportanceMatrix importance,
            ThreadPool pool, TensorSink sink) {
        return quantize(source, ftype, importance, pool, sink, Map.of(), null);
    }

    /**
     * As {@link #quantize(GgufFile, LlamaFileType, ImportanceMatrix, ThreadPool, TensorSink)}, with some
     * tensors' values replaced before quantization (AWQ's rescaled weights and norms; a replaced tensor
     * kept in its source type is re-encoded) and an optional other quantizer for 2-D matrices.
     *
     * @param replaced tensor name → [elementCount] values used instead of the file's
     * @param custom   GPTQ and the like, or null
     */
    public static Map<String, GgmlType> quantize(GgufFile source, LlamaFileType ftype, ImportanceMatrix importance,
            ThreadPool pool, TensorSink sink, Map<String, float[]> replaced, MatrixQuantizer custom) {
        if (source == null || ftype == null || sink == null) {
            throw new IllegalArgumentException("source, ftype and sink are required");
        }
        Map<String, GgmlType> types = QuantMix.chooseTypes(ftype, source, importance != null);
        for (GgufTensorInfo t : source.tensors()) {
            GgmlType target = types.get(t.name());
            MemorySegment seg = source.tensorData(t);
            float[] replacement = replaced.get(t.name());
            if (target == t.type() && replacement != null) {
                sink.accept(t, target, target == GgmlType.F32 ? f32Bytes(replacement)
                        : Quantizers.quantizeMatrix(target, replacement, (int) t.rows(), (int) t.ne0(), null, pool));
                continue;
            }
            if (target == t.type()) {
                sink.accept(t, target, seg.toArray(ValueLayout.JAVA_BYTE));
                continue;
            }
            long n = t.elementCount();
            if (n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException(source.path() + ": tensor " + t.name() + " has " + n
                        + " elements, more than one Java array holds");
            }
            float[] x = replacement != null ? replacement : toFloat(source, t, seg);
            int cols = (int) t.ne0();
            int rows = (int) t.rows();
            float[] qw = importance == null ? null : importance.forTensor(t.name());
            long experts = t.dims().length > 2 ? t.dims()[2] : 1;
            if (qw != null && qw.length != cols * experts) {
                if (!t.name().equals("token_embd.weight")) {
                    throw new IllegalArgumentException("imatrix size " + qw.length + " is different from tensor size "
                            + cols * experts + " for " + t.name());
                }
                qw = null;
            }
            byte[] out = experts == 1 && custom != null ? custom.quantize(t, target, x, rows, cols, qw) : null;
            if (out != null) {
                // the custom quantizer's bytes
            } else if (qw == null || experts == 1) {
                out = Quantizers.quantizeMatrix(target, x, rows, cols, qw, pool);
            } else {
                out = quantizeExperts(target, x, rows, cols, (int) experts, qw, pool);
            }
            sink.accept(t, target, out);
        }
        return types;
    }

    /** Each expert matrix (rows / experts of them) uses its own slice of the importance vector. */
    private static byte[] quantizeExperts(GgmlType type, float[] x, int rows, int cols, int experts, float[] qw, ThreadPool pool) {
        int perExpert = rows / experts;
        int rowBytes = Math.toIntExact(type.bytesFor(cols));
        byte[] out = new byte[rowBytes * rows];
        for (int e = 0; e < experts; e++) {
            float[] xe = java.util.Arrays.copyOfRange(x, e * perExpert * cols, (e + 1) * perExpert * cols);
            float[] qe = java.util.Arrays.copyOfRange(qw, e * cols, (e + 1) * cols);
            byte[] part = Quantizers.quantizeMatrix(type, xe, perExpert, cols, qe, pool);
            System.arraycopy(part, 0, out, e * perExpert * rowBytes, part.length);
        }
        return out;
    }

    private static byte[] f32Bytes(float[] v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    /** The tensor's values as fp32 (from F32, F16 or BF16). */
    public static float[] toFloat(GgufFile f, GgufTensorInfo t, MemorySegment seg) {
        return switch (t.type()) {
            case F32 -> seg.toArray(F32_LE);
            case F16 -> {
                short[] h = seg.toArray(I16_LE);
                float[] x = new float[h.length];
                for (int i = 0; i < h.length; i++) {
                    x[i] = Float.float16ToFloat(h[i]);
                }
                yield x;
            }
            case BF16 -> {
                short[] h = seg.toArray(I16_LE);
                float[] x = new float[h.length];
                for (int i = 0; i < h.length; i++) {
                    x[i] = Float.intBitsToFloat((h[i] & 0xFFFF) << 16);
                }
                yield x;
            }
            default -> throw new IllegalArgumentException(f.path() + ": requantizing tensor " + t.name() + " from "
                    + t.type() + " is not supported (llama-quantize refuses it without --allow-requantize)");
        };
    }
}
