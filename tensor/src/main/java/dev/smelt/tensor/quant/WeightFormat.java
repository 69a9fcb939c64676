package dev.smelt.tensor.quant;

import dev.smelt.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * Row operations of one weight format. Activations are always F32 (see NOTES: Java has no VNNI, and
 * F32 activations are at least as accurate as ggml's Q8 ones), so kernels grow with the number of
 * weight formats, not formats × activation formats.
 *
 * <p>Each format has a plain scalar reference implementation (the oracle) and may have a Vector API
 * one; {@link Formats} picks the implementation once. Implementations are stateless and thread-safe.
 *
 * <p>Offsets are byte offsets into {@code w}; {@code n} is a row length in elements and must be a
 * multiple of the type's block size (callers validate shapes once, at load).
 */
public interface WeightFormat {

    GgmlType type();

    /** Decodes {@code n} elements starting at byte {@code offset} into {@code dst[dstOff..dstOff+n)}. */
    void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n);

    /** Σ w[i]·x[xOff+i] over one row of {@code n} elements starting at byte {@code offset}. */
    float dot(MemorySegment w, long offset, float[] x, int xOff, int n);

    /**
     * One weight row against {@code batch} activation rows: {@code out[outOff + b*outStride] = dot(row, x[b*xStride ..])}.
     * Fast formats override this to decode each weight block once for all activation rows (prefill).
     */
    default void dotBatch(MemorySegment w, long offset, int n, float[] x, int xStride, int batch,
                          float[] out, int outOff, int outStride) {
        for (int b = 0; b < batch; b++) {
            out[outOff + b * outStride] = dot(w, offset, x, b * xStride, n);
        }
    }

    /**
     * Largest activation batch for which {@link #matmulRows} (weights decoded once, FMA'd against every
     * activation row in registers) beats dequantizing a tile and running the dense GEMM; 0 when this
     * format has no such fused small-batch kernel.
     */
    default int fusedBatchLimit() {
        return 0;
    }

    /**
     * Output rows [r0, r1) of a row-major weight matrix (row r at byte {@code offset + r·rowBytes},
     * {@code n} elements) against activations x [batch, n] (row stride n):
     * {@code out[b·outStride + r] = Σ_c W[r, c]·x[b·n + c]}. Default: one {@link #dotBatch} per row.
     */
    default void matmulRows(MemorySegment w, long offset, long rowBytes, int r0, int r1, int n,
                            float[] x, int batch, float[] out, int outStride) {
        for (int r = r0; r < r1; r++) {
            dotBatch(w, offset + r * rowBytes, n, x, n, batch, out, r, outStride);
        }
    }
}
