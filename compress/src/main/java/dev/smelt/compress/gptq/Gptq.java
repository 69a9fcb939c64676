package dev.smelt.compress.gptq;

import dev.smelt.compress.quant.BlockGrid;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.VectorOps;

/**
 * GPTQ (Frantar et al., 2022) into ggml block formats. With H = XᵀX of the layer's calibration inputs,
 * columns are rounded one at a time and each column's rounding error is pushed onto the columns not yet
 * rounded through the upper Cholesky factor U of the damped inverse Hessian (H + λI)⁻¹ = UᵀU:
 * err = (w_k − ŵ_k) / U[k,k], w_j −= err · U[k,j] for later j. This minimises ‖(W − Ŵ)X‖² greedily.
 *
 * <p>Block formats: when the first column of a block (32 or 256 columns) is reached, the block's scales
 * (mins, sub-block scales) are chosen by the type's own quantizer from the block's current, already
 * error-corrected values, with the calibration importance diag(H)/tokens as its imatrix; then every
 * column of the block is rounded on that fixed grid ({@link BlockGrid}). The output is an ordinary
 * block of the ggml type. With act-order, columns are visited by decreasing H[j,j]; a block's scales are
 * then chosen when its first visited column is reached.
 *
 * <p>Rows are independent given U, so rows are processed in tiles of {@link #TILE} on a pool: each row of
 * U (the update for one column) is read once per tile rather than once per row — the memory-traffic
 * saving the paper's lazy batch updates make on a GPU. The per-row arithmetic is the same in
 * {@link #quantizeReference} (one row at a time, one thread), so both give identical bytes.
 *
 * <p>Thread-safety: stateless; concurrent calls need distinct pools.
 */
public final class Gptq {
    /** Rows processed together so each row of U is loaded once per tile. */
    static final int TILE = 16;
    /** λ = DAMP · mean(diag H), the paper's default percdamp. */
    public static final double DEFAULT_DAMP = 0.01;

    private Gptq() {
    }

    /** GPTQ options. */
    public record Options(double damp, boolean actOrder) {
        public static final Options DEFAULT = new Options(DEFAULT_DAMP, false);
    }

    /** The factorised problem shared by every row: column order and U (in visiting order). */
    record Plan(int cols, int[] order, float[] u) { // u [cols, cols] upper triangular, row k = column order[k]
    }

    /**
     * Quantizes a row-major matrix.
     *
     * @param w          [rows, cols] weights (not modified)
     * @param hessian    [cols, cols] Σ xᵀx over calibration tokens (symmetric; only read)
     * @param importance [cols] per-column importance for the per-block scale choice, or null
     * @return rows × type.bytesFor(cols) bytes
     */
    public static byte[] quantize(GgmlType type, float[] w, int rows, int cols, double[] hessian, float[] importance,
            Options opt, ThreadPool pool) {
        BlockGrid grid = grid(type, cols);
        Plan plan = plan(hessian, cols, opt);
        int rowBytes = Math.toIntExact(type.bytesFor(cols));
        byte[] out = new byte[Math.multiplyExact(rowBytes, rows)];
        int tiles = (rows + TILE - 1) / TILE;
        java.util.function.IntConsumer body = t -> quantizeTile(grid, plan, w, t * TILE, Math.min(rows, (t + 1) * TILE), importance, out, rowBytes);
        if (pool == null) {
            for (int t = 0; t < tiles; t++) {
                body.accept(t);
            }
        } else {
            pool.parallelFor(tiles, body);
        }
        return out;
    }

    /** The scalar oracle: one row at a time, one column at a time, on the caller's thread. */
    static byte[] quantizeReference(GgmlType type, float[] w, int rows, int cols, double[] hessian, float[] importance,
            Options opt) {
        BlockGrid grid = grid(type, cols);
        Plan plan = plan(hessian, cols, opt);
        int rowBytes = Math.toIntExact(type.bytesFor(cols));
        byte[] out = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++) {
            quantizeTile(grid, plan, w, r, r + 1, importance, out, rowBytes);
        }
        return out;
    }

    private static BlockGrid grid(GgmlType type, int cols) {
        BlockGrid grid = BlockGrid.forType(type);
        if (grid == null) {
            throw new IllegalArgumentException("GPTQ does not support type " + type);
        }
        if (cols % grid.blockSize() != 0) {
            throw new IllegalArgumentException(type + ": row length " + cols + " is not a multiple of " + grid.blockSize());
        }
        return grid;
    }

    /** Damps H, picks the column order and factors the inverse; raises damping until H is positive definite. */
    static Plan plan(double[] hessian, int cols, Options opt) {
        if (hessian.length != (long) cols * cols) {
            throw new IllegalArgumentException("hessian has " + hessian.length + " entries, expected " + cols + "²");
        }
        int[] order = new int[cols];
        for (int i = 0; i < cols; i++) {
            order[i] = i;
        }
        if (opt.actOrder()) {
            Integer[] boxed = new Integer[cols];
            for (int i = 0; i < cols; i++) {
                boxed[i] = i;
            }
            java.util.Arrays.sort(boxed, (a, b) -> Double.compare(hessian[b * cols + b], hessian[a * cols + a]));
            for (int i = 0; i < cols; i++) {
                order[i] = boxed[i];
            }
        }
        double mean = 0;
        for (int i = 0; i < cols; i++) {
            mean += hessian[i * cols + i];
        }
        mean = mean > 0 ? mean / cols : 1;
        double damp = opt.damp();
        for (int attempt = 0; attempt < 8; attempt++, damp *= 10) {
            double[] h = new double[cols * cols];
            for (int a = 0; a < cols; a++) {
                for (int b = 0; b < cols; b++) {
                    h[a * cols + b] = hessian[order[a] * cols + order[b]];
                }
                if (h[a * cols + a] <= 0) {
                    h[a * cols + a] = 1; // a column no calibration token reached: plain rounding
                }
                h[a * cols + a] += damp * mean;
            }
            double[] u = Cholesky.upperOfInverse(h, cols);
            if (u != null) {
                float[] uf = new float[cols * cols];
                for (int i = 0; i < uf.length; i++) {
                    uf[i] = (float) u[i];
                }
                return new Plan(cols, order, uf);
            }
        }
        throw new IllegalArgumentException("Hessian is not positive definite even with damping " + damp);
    }

    /** Rows [r0, r1): error feedback in visiting order, scales chosen per block at its first visited column. */
    private static void quantizeTile(BlockGrid grid, Plan plan, float[] w, int r0, int r1, float[] importance, byte[] out,
            int rowBytes) {
        int cols = plan.cols();
        int[] order = plan.order();
        float[] u = plan.u();
        int n = r1 - r0;
        int bs = grid.blockSize();
        int bb = grid.blockBytes();
        float[][] wp = new float[n][cols]; // rows in visiting order
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < cols; k++) {
                wp[r][k] = w[(r0 + r) * cols + order[k]];
            }
        }
        int[] pos = new int[cols]; // original column → visiting position
        for (int k = 0; k < cols; k++) {
            pos[order[k]] = k;
        }
        boolean[][] scaled = new boolean[n][cols / bs];
        float[] block = new float[bs];
        float[] imp = importance == null ? null : new float[bs];
        float[] err = new float[n];
        for (int k = 0; k < cols; k++) {
            int c = order[k];
            int blk = c / bs;
            float ukk = u[k * cols + k];
            for (int r = 0; r < n; r++) {
                int yb = (r0 + r) * rowBytes + blk * bb;
                if (!scaled[r][blk]) {
                    for (int e = 0; e < bs; e++) {
                        block[e] = wp[r][pos[blk * bs + e]];
                    }
                    if (imp != null) {
                        System.arraycopy(importance, blk * bs, imp, 0, bs);
                    }
                    grid.chooseScales(block, 0, imp, out, yb);
                    scaled[r][blk] = true;
                }
                float q = grid.round(out, yb, c % bs, wp[r][k]);
                err[r] = (wp[r][k] - q) / ukk;
            }
            for (int r = 0; r < n; r++) {
                float e = err[r];
                if (e != 0) {
                    float[] row = wp[r];
                    int uo = k * cols;
                    for (int j = k + 1; j < cols; j++) {
                        row[j] -= e * u[uo + j];
                    }
                }
            }
        }
    }

    /**
     * ‖(W − Ŵ)X‖² = Σ_rows δ H δᵀ for δ = a row of W − Ŵ: the calibration output error GPTQ minimises.
     * Per-row sums are added in row order, so the result does not depend on the pool.
     *
     * @param deq [rows, cols] dequantized weights
     * @param h   [cols, cols] H in float ({@link #toFloat})
     * @param pool threads, or null
     */
    public static double outputError(float[] w, float[] deq, int rows, int cols, float[] h, ThreadPool pool) {
        double[] perRow = new double[rows];
        java.util.function.IntConsumer body = r -> {
            float[] d = new float[cols];
            for (int j = 0; j < cols; j++) {
                d[j] = w[r * cols + j] - deq[r * cols + j];
            }
            double total = 0;
            for (int a = 0; a < cols; a++) {
                if (d[a] != 0) {
                    total += (double) d[a] * VectorOps.dot(h, a * cols, d, 0, cols);
                }
            }
            perRow[r] = total;
        };
        if (pool == null) {
            for (int r = 0; r < rows; r++) {
                body.accept(r);
            }
        } else {
            pool.parallelFor(rows, body);
        }
        double sum = 0;
        for (double v : perRow) {
            sum += v;
        }
        return sum;
    }

    /** H as float, for {@link #outputError}. */
    public static float[] toFloat(double[] h) {
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) {
            f[i] = (float) h[i];
        }
        return f;
    }
}
