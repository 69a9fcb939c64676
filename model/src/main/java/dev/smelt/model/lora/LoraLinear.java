package dev.smelt.model.lora;

import dev.smelt.model.Linear;
import dev.smelt.tensor.Gemm;
import dev.smelt.tensor.ThreadPool;
import java.util.List;

/**
 * A base projection plus LoRA deltas: out = W·x + Σ_d scale_d · B_d·(A_d·x), each delta adding to a
 * block of output rows (the whole matrix, or q/k/v or gate/up slices of phi3's fused projections).
 * Computed as two thin products with the F32 {@link Gemm} kernel so the merged matrix is never
 * formed: rank r costs r·(in + out) multiply-adds per token beside the base's in·out. Prompt batches
 * split their rows between the pool's threads; a single decode token runs on the caller's thread.
 * Immutable, thread-safe.
 */
public final class LoraLinear implements Linear {

    /**
     * One low-rank update of rows [rowOffset, rowOffset + rows).
     *
     * @param a     [rank, in]
     * @param b     [rows, rank]
     * @param scale alpha / r (or alpha / √r) times the user's adapter scale
     */
    public record Delta(int rowOffset, int rows, int in, int rank, float[] a, float[] b, float scale) {
        public Delta {
            if (rowOffset < 0 || rows <= 0 || in <= 0 || rank <= 0 || a.length != rank * in || b.length != rows * rank) {
                throw new IllegalArgumentException("LoRA delta: offset " + rowOffset + ", rows " + rows + ", in " + in + ", rank " + rank
                        + " do not fit A (" + a.length + " values) and B (" + b.length + ")");
            }
        }

        /** Adds this delta to out[b, rowOffset ..] for x [batch, in]; out has row stride {@code outStride}. */
        void addTo(float[] x, int batch, float[] out, int outStride) {
            float[] t = new float[batch * rank];  // [batch, rank] = x · Aᵀ
            Gemm.tile(a, rank, in, x, batch, t, rank, 0);
            float[] d = new float[batch * rows];  // [batch, rows] = t · Bᵀ
            Gemm.tile(b, rows, rank, t, batch, d, rows, 0);
            for (int bi = 0; bi < batch; bi++) {
                int o = bi * outStride + rowOffset;
                int s = bi * rows;
                for (int r = 0; r < rows; r++) {
                    out[o + r] += scale * d[s + r];
                }
            }
        }
    }

    private final Linear base;
    private final List<Delta> deltas;

    public LoraLinear(Linear base, List<Delta> deltas) {
        if (base == null || deltas == null || deltas.isEmpty()) {
            throw new IllegalArgumentException("LoraLinear needs a base and at least one delta");
        }
        for (Delta d : deltas) {
            if (d.in() != base.cols() || d.rowOffset() + d.rows() > base.rows()) {
                throw new IllegalArgumentException("LoRA delta rows [" + d.rowOffset() + ", " + (d.rowOffset() + d.rows()) + ") × in "
                        + d.in() + " do not fit " + base.name() + " [" + base.rows() + ", " + base.cols() + "]");
            }
        }
        this.base = base;
        this.deltas = List.copyOf(deltas);
    }

    public Linear base() {
        return base;
    }

    public List<Delta> deltas() {
        return deltas;
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public int rows() {
        return base.rows();
    }

    @Override
    public int cols() {
        return base.cols();
    }

    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
        base.matmul(pool, x, batch, out);
        int tasks = Math.min(pool.threads(), batch / MIN_ROWS_PER_TASK);
        if (tasks <= 1) {
            for (Delta d : deltas) {
                d.addTo(x, batch, out, base.rows());
            }
            return;
        }
        // prompts: split the batch rows between threads; each task writes only its own output rows
        int cols = base.cols();
        int rows = base.rows();
        int per = (batch + tasks - 1) / tasks;
        pool.parallelFor(tasks, t -> {
            int b0 = t * per;
            int n = Math.min(batch, b0 + per) - b0;
            if (n <= 0) {
                return;
            }
            float[] xs = java.util.Arrays.copyOfRange(x, b0 * cols, (b0 + n) * cols);
            float[] os = new float[n * rows];
            for (Delta d : deltas) {
                d.addTo(xs, n, os, rows);
            }
            for (int i = 0; i < n * rows; i++) {
                out[b0 * rows + i] += os[i];
            }
        });
    }

    /** Below this many batch rows per thread the deltas stay on the caller's thread. */
    private static final int MIN_ROWS_PER_TASK = 4;

    /** w[rowOffset + r, c] += scale · Σ_j B[r, j]·A[j, c] for a dense row-major [rows, cols] matrix (merging). */
    public static void addTo(float[] w, int cols, Delta d) {
        if (cols != d.in() || (long) (d.rowOffset() + d.rows()) * cols > w.length) {
            throw new IllegalArgumentException("LoRA delta [" + d.rows() + ", " + d.in() + "] at row " + d.rowOffset()
                    + " does not fit a matrix of " + w.length + " values with " + cols + " columns");
        }
        float[] row = new float[cols];
        for (int r = 0; r < d.rows(); r++) {
            java.util.Arrays.fill(row, 0f);
            for (int j = 0; j < d.rank(); j++) {
                float bj = d.b()[r * d.rank() + j];
                int ao = j * cols;
                for (int c = 0; c < cols; c++) {
                    row[c] += bj * d.a()[ao + c];
                }
            }
            int wo = (d.rowOffset() + r) * cols;
            for (int c = 0; c < cols; c++) {
                w[wo + c] += d.scale() * row[c];
            }
        }
    }
}
