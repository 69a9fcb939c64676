package dev.smelt.compress;

import dev.smelt.compress.quant.Quantizers;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Decodes a GGUF tensor of any supported type to float32 and encodes float32 back into a type, for
 * tools that edit weights (prune, lowrank). Thread-safety: stateless.
 */
public final class TensorFloats {
    private TensorFloats() {
    }

    /** The tensor as a row-major [rows, ne0] float array (dequantized exactly as the engine does). */
    public static float[] decode(GgufFile f, GgufTensorInfo t) {
        if (!Formats.supports(t.type())) {
            throw new IllegalArgumentException(f.path() + ": tensor " + t.name() + " has type " + t.type() + ", which smelt cannot decode");
        }
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(f.path() + ": tensor " + t.name() + " has " + n + " elements, more than one Java array holds");
        }
        int cols = (int) t.ne0();
        int rows = (int) t.rows();
        WeightFormat fmt = Formats.of(t.type());
        MemorySegment seg = f.segment();
        long rowBytes = t.type().bytesFor(cols);
        float[] out = new float[(int) n];
        for (int r = 0; r < rows; r++) {
            fmt.dequantize(seg, t.fileOffset() + r * rowBytes, out, r * cols, cols);
        }
        return out;
    }

    /**
     * Encodes [rows, cols] floats as {@code type} (F32 verbatim, other types through their quantizer).
     *
     * @throws IllegalArgumentException when {@code cols} is not a multiple of the type's block size
     *                                  (the message names {@code what})
     */
    public static byte[] encode(String what, GgmlType type, float[] x, int rows, int cols, float[] importance, ThreadPool pool) {
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(what + ": row length " + cols + " is not a multiple of " + type
                    + "'s block size " + type.blockSize());
        }
        if (type == GgmlType.F32) {
            ByteBuffer b = ByteBuffer.allocate(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(x, 0, rows * cols);
            return b.array();
        }
        return Quantizers.quantizeMatrix(type, x, rows, cols, importance, pool);
    }

    /** True when {@code type} can be written for rows of {@code cols} elements. */
    public static boolean fits(GgmlType type, int cols) {
        return cols % type.blockSize() == 0 && (type == GgmlType.F32 || Quantizers.supported().contains(type));
    }
}
