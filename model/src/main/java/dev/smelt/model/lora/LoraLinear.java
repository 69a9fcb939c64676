package dev.smelt.model.lora;

import dev.smelt.model.Linear;
import dev.smelt.tensor.Gemm;
import dev.smelt.tensor.ThreadPool;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A base projection plus LoRA deltas: out = W·x + Σ_d scale_d · B_d·(A_d·x), each delta adding to a
 * block of output rows (the whole matrix, or q/k/v or gate/up slices of phi3's fused projections).
 * Computed as two thin products with the F32 {@link Gemm} kernel so the merged matrix is never
 * formed: rank r costs r·(in + out) multiply-adds per token beside the base's in·out. Large prompt
 * batches split their rows between the pool's threads; small ones and decode run on the caller's thread.
 * Immutable, thread-safe.
 */
public final class LoraLinear implements Linear {

    /**
     * One low-rank update of rows [rowOffset, rowOffset + rows): a [rank, in], b [rows, rank],
     * scale = alpha / r (or alpha / √r) times the user's adapter scale. Immutable, thread-safe.
     */
    public static final class Delta {
        private final int rowOffset;
        private final int rows;
        private final int in;
        private final int rank;
        private final float[] a;   // [rank, in]
        private final float[] b;   // [rows, rank]
        private final float scale;
        private final float[] bt;  // [rank, rows] = scale · Bᵀ, so B·t is a row-contiguous axpy per rank index

        public Delta(int rowOffset, int rows, int in, int rank, float[] a, float[] b, float scale) {
            if (rowOffset < 0 || rows <= 0 || in <= 0 || rank <= 0 || a.length != rank * in || b.length != rows * rank) {
                throw new IllegalArgumentException("LoRA delta: offset " + rowOffset + ", rows " + rows + ", in " + in + ", rank " + rank
                        + " do not fit A (" + a.length + " values) and B (" + b.length + ")");
            }
            this.rowOffset = rowOffset;
            this.rows = rows;
            this.in = in;
            this.rank = rank;
            this.a = a;
            this.b = b;
            this.scale = scale;
            this.bt = new float[rank * rows];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < rank; j++) {
                    bt[j * rows + r] = scale * b[r * rank + j];
                }
            }
        }

        public int rowOffset() {
            return rowOffset;
        }

        public int rows() {
            return rows;
        }

        public int in() {
            return in;
        }

        public int rank() {
            return rank;
        }

        public float[] a() {
            return a;
        }

        public float[] b() {
            return b;
        }

        public float scale() {
            return scale;
        }

        /** Adds this delta to out[b, rowOffset ..] for x [batch, in]; out has row stride {@code outStride}. */
        void addTo(float[] x, int batch, float[] out, int outStride) {
            float[] t = new float[batch * rank];  // [batch, rank] = x · Aᵀ
            Gemm.tile(a, rank, in, x, batch, t, rank, 0);
            addRows(bt, rank, rows, t, batch, out, outStride, rowOffset);
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * out[b, off + r] += Σ_j t[b, j] · bt[j, r]: for each batch row, one pass over the output slice
     * with {@code rank} vector FMAs per lane block (a dot of length r would waste a lane reduction per
     * output). {@link #addRowsReference} is the scalar oracle.
     *
     * @param bt [rank, rows]
     * @param t  [batch, rank]
     */
    static void addRows(float[] bt, int rank, int rows, float[] t, int batch, float[] out, int outStride, int off) {
        int upper = F.loopBound(rows);
        for (int bi = 0; bi < batch; bi++) {
            int o = bi * outStride + off;
            int tb = bi * rank;
            for (int r = 0; r < upper; r += F.length()) {
                FloatVector acc = FloatVector.fromArray(F, out, o + r);
                for (int j = 0; j < rank; j++) {
                    acc = FloatVector.fromArray(F, bt, j * rows + r).fma(FloatVector.broadcast(F, t[tb + j]), acc);
                }
                acc.intoArray(out, o + r);
            }
            for (int r = upper; r < rows; r++) {
                float s = out[o + r];
                for (int j = 0; j < rank; j++) {
                    s = Math.fma(bt[j * rows + r], t[tb + j], s);
                }
                out[o + r] = s;
            }
        }
    }

    /** Scalar oracle of {@link #addRows}, same operation order per element. */
    static void addRowsReference(float[] bt, int rank, int rows, float[] t, int batch, float[] out, int outStride, int off) {
        for (int bi = 0; bi < batch; bi++) {
            for (int r = 0; r < rows; r++) {
                float s = out[bi * outStride + off + r];
                for (int j = 0; j < rank; j++) {
                    s = Math.fma(bt[j * rows + r], t[bi * rank + j], s);
                }
                out[bi * outStride + off + r] = s;
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
        long macs = 0;
        for (Delta d : deltas) {
            macs += (long) batch * d.rank() * (d.in() + d.rows());
        }
        int tasks = macs < PARALLEL_MIN_MACS ? 1 : Math.min(pool.threads(), batch / MIN_ROWS_PER_TASK);
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
    /**
     * Below this many multiply-adds (~1 ms on one core) the deltas stay on the caller's thread: a second
     * hand-off to the pool per projection cost more than it saved (measured on the shared 2-core machine:
     * +5 ms per 576×576 projection at batch 64, r=16, versus +0.3 ms inline).
     */
    private static final long PARALLEL_MIN_MACS = 4_000_000;

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
