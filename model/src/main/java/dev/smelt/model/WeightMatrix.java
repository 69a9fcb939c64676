package dev.smelt.model;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.quant.MatMul;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight tensor [rows, cols] (ggml dims {cols, rows}) in any supported format, left in the
 * memory mapping. Immutable, thread-safe.
 */
public record WeightMatrix(String name, WeightFormat format, MemorySegment data, long offset, int rows, int cols) implements Linear {

    /** Wraps tensor {@code name} of {@code file}; rows = product of dims[1..]. */
    public static WeightMatrix of(GgufFile file, GgufTensorInfo t) {
        if (!Formats.supports(t.type())) {
            throw new ModelException(file.path() + ": tensor '" + t.name() + "' has type " + t.type() + ", which smelt cannot compute with yet");
        }
        if (t.rows() > Integer.MAX_VALUE || t.ne0() > Integer.MAX_VALUE) {
            throw new ModelException(file.path() + ": tensor '" + t.name() + "' is too large: dims " + java.util.Arrays.toString(t.dims()));
        }
        return new WeightMatrix(t.name(), Formats.of(t.type()), file.segment(), t.fileOffset(), (int) t.rows(), (int) t.ne0());
    }

    public long rowBytes() {
        return format.type().bytesFor(cols);
    }

    /** out[b, r] = Σ_c W[r, c] · x[b, c]; x is [batch, cols], out is [batch, rows]. */
    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
        MatMul.matmul(pool, format, data, offset, rows, cols, x, batch, out);
    }

    /** Decodes row {@code r} (e.g. an embedding) into dst[dstOff..dstOff+cols). */
    public void row(int r, float[] dst, int dstOff) {
        if (r < 0 || r >= rows) {
            throw new IllegalArgumentException("row " + r + " out of range [0, " + rows + ") of " + name);
        }
        format.dequantize(data, offset + r * rowBytes(), dst, dstOff, cols);
    }
}
