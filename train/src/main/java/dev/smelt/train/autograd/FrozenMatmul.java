package dev.smelt.train.autograd;

import dev.smelt.model.WeightMatrix;
import dev.smelt.tensor.PanelKernel;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.WeightFormat;

/**
 * Products with a frozen weight in any format (QLoRA-style), forward y = x·Wᵀ and the transposed product of
 * backpropagation dx[b, c] += Σ_r dy[b, r] · W[r, c]. W stays in the memory mapping; each task owns one
 * panel of {@link PanelKernel#NR} output columns (and, when there are too few panels to keep every thread
 * busy, a share of the batch rows), dequantizes the W values of that panel in chunks of
 * {@link #K_CHUNK} reduction steps into a thread-local buffer and runs {@link PanelKernel} (4 batch rows ×
 * 4 vectors in registers, broadcast activations, no horizontal sums). No full F32 copy of W ever exists;
 * a panel chunk (≤ 512 × 256 floats) stays in L2.
 *
 * <p>Forward panels are W rows, so a chunk is decoded row by row and transposed to [chunk, NR]; backward
 * panels are column bands of W, which are already contiguous in each row (no transpose). Every output
 * element is summed by one task as one chain of FMAs over the reduction index in increasing order
 * (chunks continue the chain from the partial sum in the output): results are bit-identical across thread
 * counts and JIT tiers, which exact resume needs. Stateless, thread-safe.
 */
public final class FrozenMatmul {
    private static final int NR = PanelKernel.NR;
    /** Reduction steps per decoded chunk: [512, 64] floats = 128 KiB, [512, 256] = 512 KiB (L2). */
    static final int K_CHUNK = 512;
    /** Thread-local decode buffers: [rows, chunk] decoded, and the transposed forward panel. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);
    /** Batch rows below which a task is not split further (each split re-decodes its panel). */
    private static final int MIN_SPLIT_ROWS = 32;

    private static final java.lang.foreign.ValueLayout.OfFloat LE_FLOAT =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private FrozenMatmul() {
    }

    /** Decodes n elements at byte {@code off}; F32 is a bulk copy rather than the format's per-element reference. */
    private static void decode(WeightFormat fmt, WeightMatrix w, long off, float[] dst, int dstOff, int n) {
        if (fmt.type() == dev.smelt.tensor.GgmlType.F32) {
            java.lang.foreign.MemorySegment.copy(w.data(), LE_FLOAT, off, dst, dstOff, n);
        } else {
            fmt.dequantize(w.data(), off, dst, dstOff, n);
        }
    }

    private static float[] buffer(ThreadLocal<float[]> tl, int size) {
        float[] b = tl.get();
        if (b.length < size) {
            b = new float[size];
            tl.set(b);
        }
        return b;
    }

    /**
     * How many row shares each panel task is cut into: 1 unless the panels cannot be spread evenly over
     * the threads (e.g. 3 or 9 panels on 2 threads), then the fewest shares that can, up to 4.
     */
    static int splits(int panels, int n, int threads) {
        int s = 1;
        while (s < 4 && n / (s + 1) >= MIN_SPLIT_ROWS && ((long) panels * s % threads != 0 || panels * s < threads)) {
            s++;
        }
        return s;
    }

    /** Rows per share, a multiple of 4 (the kernel's row block). */
    private static int share(int n, int splits) {
        int r = (n + splits - 1) / splits;
        return (r + 3) & ~3;
    }

    private static int chunkFor(WeightFormat fmt) {
        int bs = fmt.type().blockSize();
        return bs >= K_CHUNK ? bs : (K_CHUNK / bs) * bs;
    }

    /**
     * y = x·Wᵀ.
     *
     * @param x [n, w.cols()]
     * @param y [n, w.rows()], overwritten
     */
    public static void forward(ThreadPool pool, WeightMatrix w, float[] x, int n, float[] y) {
        java.util.Arrays.fill(y, 0, n * w.rows(), 0f);
        forwardAccumulate(pool, w, x, n, y);
    }

    /** y += x·Wᵀ (y holds e.g. the bias; each element's chain starts from it). */
    public static void forwardAccumulate(ThreadPool pool, WeightMatrix w, float[] x, int n, float[] y) {
        forwardAccumulate(pool, w, x, n, y, null, null, 0);
    }

    /**
     * y += x·Wᵀ + u·Bᵀ: a LoRA update fused as {@code rank} more reduction steps of the same chains (B's
     * rows packed into a [rank, NR] panel per task), so the delta costs no separate pass over y.
     *
     * @param u    [n, rank] (already scaled), or null for none
     * @param b    [w.rows(), rank]
     */
    public static void forwardAccumulate(ThreadPool pool, WeightMatrix w, float[] x, int n, float[] y, float[] u, float[] b, int rank) {
        WeightFormat fmt = w.format();
        int chunk = chunkFor(fmt);
        int cols = w.cols();
        int rows = w.rows();
        long rowBytes = w.rowBytes();
        int panels = (rows + NR - 1) / NR;
        int splits = splits(panels, n, pool.threads());
        int share = share(n, splits);
        pool.parallelFor(panels * splits, t -> {
            int p = t % panels;
            int i0 = (t / panels) * share;
            int m = Math.min(n, i0 + share) - i0;
            if (m <= 0) {
                return;
            }
            int r0 = p * NR;
            int rn = Math.min(NR, rows - r0);
            float[] tile = buffer(TILE, NR * chunk);   // [rn, cw]
            float[] panel = buffer(PANEL, chunk * NR); // [cw, NR]
            for (int c0 = 0; c0 < cols; c0 += chunk) {
                int cw = Math.min(chunk, cols - c0);
                long colBytes = fmt.type().bytesFor(c0);
                for (int r = 0; r < rn; r++) {
                    decode(fmt, w, w.offset() + (r0 + r) * rowBytes + colBytes, tile, r * cw, cw);
                }
                transpose(tile, rn, cw, panel);
                PanelKernel.accumulate(x, i0 * cols + c0, cols, 1, panel, 0, NR, cw, y, i0 * rows + r0, rows, m, rn);
            }
            if (u != null) {
                for (int kk = 0; kk < rank; kk++) {
                    for (int r = 0; r < rn; r++) {
                        panel[kk * NR + r] = b[(r0 + r) * rank + kk];
                    }
                }
                PanelKernel.accumulate(u, i0 * rank, rank, 1, panel, 0, NR, rank, y, i0 * rows + r0, rows, m, rn);
            }
        });
    }

    /** panel[c, r] = tile[r, c] for a [rn, cw] tile; panel rows are {@link #NR} wide. */
    private static void transpose(float[] tile, int rn, int cw, float[] panel) {
        for (int r = 0; r < rn; r++) {
            int to = r * cw;
            for (int c = 0; c < cw; c++) {
                panel[c * NR + r] = tile[to + c];
            }
        }
    }

    /** Scalar oracle of {@link #forward} (double accumulation). */
    public static void forwardReference(WeightMatrix w, float[] x, int n, float[] y) {
        float[] row = new float[w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            w.row(r, row, 0);
            for (int b = 0; b < n; b++) {
                double s = 0;
                for (int c = 0; c < w.cols(); c++) {
                    s += (double) row[c] * x[b * w.cols() + c];
                }
                y[b * w.rows() + r] = (float) s;
            }
        }
    }

    /**
     * dx += dy·W.
     *
     * @param dy [n, w.rows()]
     * @param dx [n, w.cols()], accumulated into
     */
    public static void backward(ThreadPool pool, WeightMatrix w, float[] dy, int n, float[] dx) {
        backward(pool, w, dy, n, dx, null, null, 0);
    }

    /**
     * dx += dy·W + du·A: the LoRA input gradient fused as {@code rank} more reduction steps of the same chains
     * (A's rows are already contiguous over the columns of a band).
     *
     * @param du [n, rank], or null for none
     * @param a  [rank, w.cols()]
     */
    public static void backward(ThreadPool pool, WeightMatrix w, float[] dy, int n, float[] dx, float[] du, float[] a, int rank) {
        backward(pool, w, dy, n, dx, du, a, rank, 0, null);
    }

    /**
     * As above, and runs {@code extra.accept(i)} for i in [0, extraTasks) as further tasks of the same parallel
     * loop (independent work such as the LoRA weight gradients: one join instead of two).
     */
    public static void backward(ThreadPool pool, WeightMatrix w, float[] dy, int n, float[] dx, float[] du, float[] a, int rank,
                                int extraTasks, java.util.function.IntConsumer extra) {
        WeightFormat fmt = w.format();
        int bs = fmt.type().blockSize();
        int band = bs >= NR ? bs : (NR / bs) * bs; // whole quant blocks, ≥ one panel
        int cols = w.cols();
        int rows = w.rows();
        long rowBytes = w.rowBytes();
        int bands = (cols + band - 1) / band;
        int splits = splits(bands * (band / NR), n, pool.threads());
        int share = share(n, splits);
        int frozen = bands * splits;
        pool.parallelFor(frozen + extraTasks, t -> {
            if (t >= frozen) {
                extra.accept(t - frozen);
                return;
            }
            int bi = t % bands;
            int i0 = (t / bands) * share;
            int m = Math.min(n, i0 + share) - i0;
            if (m <= 0) {
                return;
            }
            int c0 = bi * band;
            int cw = Math.min(band, cols - c0);
            long bandBytes = fmt.type().bytesFor(c0);
            float[] tile = buffer(TILE, K_CHUNK * band); // [rn, cw]
            for (int r0 = 0; r0 < rows; r0 += K_CHUNK) {
                int rn = Math.min(K_CHUNK, rows - r0);
                for (int r = 0; r < rn; r++) {
                    decode(fmt, w, w.offset() + (r0 + r) * rowBytes + bandBytes, tile, r * cw, cw);
                }
                for (int j = 0; j < cw; j += NR) {
                    PanelKernel.accumulate(dy, i0 * rows + r0, rows, 1, tile, j, cw, rn, dx, i0 * cols + c0 + j, cols, m,
                            Math.min(NR, cw - j));
                }
            }
            if (du != null) {
                for (int j = 0; j < cw; j += NR) {
                    PanelKernel.accumulate(du, i0 * rank, rank, 1, a, c0 + j, cols, rank, dx, i0 * cols + c0 + j, cols, m,
                            Math.min(NR, cw - j));
                }
            }
        });
    }

    /** Scalar oracle: dx += dy · W with W fully dequantized (tests only: it allocates W in F32). */
    public static void reference(WeightMatrix w, float[] dy, int n, float[] dx) {
        int rows = w.rows();
        int cols = w.cols();
        float[] row = new float[cols];
        double[] acc = new double[n * cols];
        for (int r = 0; r < rows; r++) {
            w.row(r, row, 0);
            for (int b = 0; b < n; b++) {
                float g = dy[b * rows + r];
                for (int c = 0; c < cols; c++) {
                    acc[b * cols + c] += (double) g * row[c];
                }
            }
        }
        for (int i = 0; i < acc.length; i++) {
            dx[i] += (float) acc[i];
        }
    }
}
