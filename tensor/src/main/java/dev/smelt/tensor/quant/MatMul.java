package dev.smelt.tensor.quant;

import dev.smelt.tensor.Gemm;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;

/**
 * out[b, r] = Σ_c W[r, c] · x[b, c] for a weight matrix stored row-major in any {@link WeightFormat}
 * (ggml layout: ne0 = cols is the contiguous dimension), parallel over blocks of output rows.
 * Thread-safe; uses the given pool.
 *
 * <p>It lives beside the formats, not in {@code dev.smelt.tensor}, because it dispatches on a
 * {@link WeightFormat}: the base package (types, dense kernels, the pool) knows no format, so packages
 * form a hierarchy {@code tensor} ← {@code tensor.quant}.
 */
public final class MatMul {
    /** Output rows per parallel task: enough work to amortize dispatch, small enough to balance 2–16 threads. */
    private static final int ROWS_PER_TASK = 16;
    /**
     * From this many activation rows on, weight rows are dequantized once into a tile and multiplied
     * by the dense {@link Gemm} kernel (prompt processing); below it, fused per-row dots (decode) win.
     * Formats with a fused small-batch kernel ({@link WeightFormat#fusedBatchLimit}) use it instead up
     * to that limit.
     */
    static final int GEMM_MIN_BATCH = 4;
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[0]);

    private MatMul() {
    }

    /**
     * @param w      weight bytes
     * @param offset byte offset of row 0
     * @param rows   output rows (W's ne1)
     * @param cols   input features (W's ne0)
     * @param x      activations [batch, cols], row stride cols
     * @param out    [batch, rows], row stride rows
     */
    public static void matmul(ThreadPool pool, WeightFormat format, MemorySegment w, long offset, int rows, int cols,
                              float[] x, int batch, float[] out) {
        long rowBytes = format.type().bytesFor(cols);
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        if (batch >= 2 && batch <= format.fusedBatchLimit()) {
            // Batched decode: each weight block decoded once into registers for all activation rows.
            pool.parallelFor(tasks, t -> {
                int r0 = t * ROWS_PER_TASK;
                format.matmulRows(w, offset, rowBytes, r0, Math.min(rows, r0 + ROWS_PER_TASK), cols, x, batch, out, rows);
            });
            return;
        }
        if (batch >= GEMM_MIN_BATCH) {
            pool.parallelFor(tasks, t -> {
                int r0 = t * ROWS_PER_TASK;
                int n = Math.min(rows, r0 + ROWS_PER_TASK) - r0;
                float[] tile = TILE.get();
                if (tile.length < n * cols) {
                    tile = new float[ROWS_PER_TASK * cols];
                    TILE.set(tile);
                }
                format.dequantize(w, offset + r0 * rowBytes, tile, 0, n * cols);
                Gemm.tile(tile, n, cols, x, batch, out, rows, r0);
            });
            return;
        }
        pool.parallelFor(tasks, t -> {
            int r0 = t * ROWS_PER_TASK;
            int r1 = Math.min(rows, r0 + ROWS_PER_TASK);
            for (int r = r0; r < r1; r++) {
                if (batch == 1) {
                    out[r] = format.dot(w, offset + r * rowBytes, x, 0, cols);
                } else {
                    format.dotBatch(w, offset + r * rowBytes, cols, x, cols, batch, out, r, rows);
                }
            }
        });
    }
}
