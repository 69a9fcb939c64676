package dev.smelt.model;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.quant.MatMul;
import dev.smelt.tensor.quant.Repacked;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight tensor [rows, cols] (ggml dims {cols, rows}) in any supported format, left in the
 * memory mapping. Q4_0, Q4_K, Q5_0 and Q6_K matrices may also get a repacked copy for the integer decode kernel
 * ({@code packed}, null unless enabled: see {@link Repacked#enabled}), used up to
 * {@link Repacked#batchLimit} activation rows; larger batches (prompts) and row reads use the mapping. Immutable, thread-safe.
 */
public record WeightMatrix(String name, WeightFormat format, MemorySegment data, long offset, int rows, int cols,
                           Repacked packed) implements Linear {

    /** A matrix without a repacked copy. */
    public WeightMatrix(String name, WeightFormat format, MemorySegment data, long offset, int rows, int cols) {
        this(name, format, data, offset, rows, cols, null);
    }

    /** Wraps tensor {@code name} of {@code file}; rows = product of dims[1..]. No repacked copy (see {@link #repacked}). */
    public static WeightMatrix of(GgufFile file, GgufTensorInfo t) {
        if (!Formats.supports(t.type())) {
            throw new ModelException(file.path() + ": tensor '" + t.name() + "' has type " + t.type() + ", which smelt cannot compute with yet");
        }
        if (t.rows() > Integer.MAX_VALUE || t.ne0() > Integer.MAX_VALUE) {
            throw new ModelException(file.path() + ": tensor '" + t.name() + "' is too large: dims " + java.util.Arrays.toString(t.dims()));
        }
        return new WeightMatrix(t.name(), Formats.of(t.type()), file.segment(), t.fileOffset(), (int) t.rows(), (int) t.ne0());
    }

    /**
     * This matrix with a repacked copy for the integer decode kernel when its format has one and
     * repacking is on ({@link Repacked#enabled}); otherwise this matrix. Costs a pass over the tensor
     * at load and ~1.11× its size (Q4_0: off-heap; Q4_K: off-heap weights, on-heap scales).
     */
    public WeightMatrix repacked() {
        if (packed != null || !Repacked.enabled(format.type())) {
            return this;
        }
        return new WeightMatrix(name, format, data, offset, rows, cols, Repacked.repack(format.type(), data, offset, rows, cols));
    }

    public long rowBytes() {
        return format.type().bytesFor(cols);
    }

    /** out[b, r] = Σ_c W[r, c] · x[b, c]; x is [batch, cols], out is [batch, rows]. */
    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
        if (packed != null && batch <= Repacked.batchLimit(format.type())) {
            packed.matmul(pool, x, batch, out);
            return;
        }
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
