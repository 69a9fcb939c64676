package dev.smelt.train.autograd;

import dev.smelt.model.WeightMatrix;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.quant.WeightFormat;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products with a frozen weight in any format, forward y = x·Wᵀ and the transposed product of backpropagation through a frozen weight in any format (QLoRA-style):
 * dx[b, c] += Σ_r dy[b, r] · W[r, c]. W stays in the memory mapping; each task owns a band of
 * columns, dequantizes W's rows for that band in tiles of {@link #TILE_ROWS} rows (whole quant blocks,
 * so the band starts on a block boundary) and runs an outer-product kernel: 4 column vectors × 3 batch
 * rows = 12 accumulators fed by one broadcast of dy per row. No full F32 copy of W ever exists.
 * Each output element is summed by one task as a chain of FMAs in a fixed order, with no horizontal
 * lane reductions (whose order the Vector API leaves open and which differs between interpreted and
 * compiled code): results are bit-identical across thread counts and JIT tiers, which exact resume needs.
 * Stateless, thread-safe.
 */
public final class FrozenMatmul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Columns per band for unblocked formats: 4 vectors, the kernel's width. */
    private static final int BAND = 4 * L;
    /** Rows dequantized at once: a tile of 256 × band floats stays in L2 (64 KiB at band 64). */
    static final int TILE_ROWS = 256;
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[0]);

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

    /** Reduction columns per forward tile (whole quant blocks). */
    static final int FORWARD_CHUNK = 256;
    private static final ThreadLocal<float[]> TILE_T = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * y = x·Wᵀ: each task owns a band of {@code 4·lanes} output rows, dequantizes it in chunks of
     * {@link #FORWARD_CHUNK} columns, transposes the chunk to [chunk, band] and runs the same
     * outer-product kernel as backward (x broadcast, W vectors over output rows).
     *
     * @param x [n, w.cols()]
     * @param y [n, w.rows()], overwritten
     */
    public static void forward(ThreadPool pool, WeightMatrix w, float[] x, int n, float[] y) {
        WeightFormat fmt = w.format();
        int bs = fmt.type().blockSize();
        int chunk = bs >= FORWARD_CHUNK ? bs : (FORWARD_CHUNK / bs) * bs;
        int cols = w.cols();
        int rows = w.rows();
        long rowBytes = w.rowBytes();
        long chunkBytes = fmt.type().bytesFor(chunk);
        java.util.Arrays.fill(y, 0, n * rows, 0f);
        int tasks = (rows + BAND - 1) / BAND;
        pool.parallelFor(tasks, t -> {
            int r0 = t * BAND;
            int rn = Math.min(BAND, rows - r0);
            float[] tile = TILE.get();
            if (tile.length < Math.max(TILE_ROWS * BAND, chunk * BAND)) {
                tile = new float[Math.max(TILE_ROWS * BAND, chunk * BAND)];
                TILE.set(tile);
            }
            float[] tt = TILE_T.get();
            if (tt.length < chunk * BAND) {
                tt = new float[chunk * BAND];
                TILE_T.set(tt);
            }
            for (int c0 = 0, ci = 0; c0 < cols; c0 += chunk, ci++) {
                int cw = Math.min(chunk, cols - c0);
                for (int r = 0; r < rn; r++) {
                    decode(fmt, w, w.offset() + (r0 + r) * rowBytes + ci * chunkBytes, tile, r * cw, cw);
                }
                for (int r = 0; r < rn; r++) {
                    for (int c = 0; c < cw; c++) {
                        tt[c * rn + r] = tile[r * cw + c];
                    }
                }
                kernel(tt, cw, rn, x, cols, c0, n, y, rows, r0);
            }
        });
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
     * @param dy [n, w.rows()]
     * @param dx [n, w.cols()], accumulated into
     */
    public static void backward(ThreadPool pool, WeightMatrix w, float[] dy, int n, float[] dx) {
        WeightFormat fmt = w.format();
        int bs = fmt.type().blockSize();
        int band = bs >= BAND ? bs : (BAND / bs) * bs;
        int cols = w.cols();
        int rows = w.rows();
        long rowBytes = w.rowBytes();
        long bandBytes = fmt.type().bytesFor(band);
        int tasks = (cols + band - 1) / band;
        pool.parallelFor(tasks, t -> {
            int c0 = t * band;
            int cw = Math.min(band, cols - c0);
            float[] tile = TILE.get();
            if (tile.length < TILE_ROWS * band) {
                tile = new float[TILE_ROWS * band];
                TILE.set(tile);
            }
            for (int r0 = 0; r0 < rows; r0 += TILE_ROWS) {
                int rn = Math.min(TILE_ROWS, rows - r0);
                for (int r = 0; r < rn; r++) {
                    decode(fmt, w, w.offset() + (r0 + r) * rowBytes + t * bandBytes, tile, r * cw, cw);
                }
                kernel(tile, rn, cw, dy, rows, r0, n, dx, cols, c0);
            }
        });
    }

    /** dx[b, c0 + c] += Σ_r dy[b, r0 + r] · tile[r, c] over a tile [rn, cw]. */
    static void kernel(float[] tile, int rn, int cw, float[] dy, int dyStride, int r0, int n, float[] dx, int dxStride, int c0) {
        int c = 0;
        for (; c + BAND <= cw; c += BAND) {
            int b = 0;
            for (; b + 3 <= n; b += 3) {
                block4x3(tile, rn, cw, c, dy, dyStride, r0, b, dx, dxStride, c0);
            }
            for (; b < n; b++) {
                block4x1(tile, rn, cw, c, dy, dyStride, r0, b, dx, dxStride, c0);
            }
        }
        if (c < cw) {
            for (int b = 0; b < n; b++) {
                scalar(tile, rn, cw, c, cw, dy, dyStride, r0, b, dx, dxStride, c0);
            }
        }
    }

    private static void block4x3(float[] t, int rn, int cw, int c, float[] dy, int dys, int r0, int b, float[] dx, int dxs, int c0) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        int y0 = b * dys + r0;
        int y1 = y0 + dys;
        int y2 = y1 + dys;
        for (int r = 0; r < rn; r++) {
            int o = r * cw + c;
            FloatVector w0 = FloatVector.fromArray(F, t, o);
            FloatVector w1 = FloatVector.fromArray(F, t, o + L);
            FloatVector w2 = FloatVector.fromArray(F, t, o + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, t, o + 3 * L);
            FloatVector d = FloatVector.broadcast(F, dy[y0 + r]);
            a00 = w0.fma(d, a00);
            a01 = w1.fma(d, a01);
            a02 = w2.fma(d, a02);
            a03 = w3.fma(d, a03);
            d = FloatVector.broadcast(F, dy[y1 + r]);
            a10 = w0.fma(d, a10);
            a11 = w1.fma(d, a11);
            a12 = w2.fma(d, a12);
            a13 = w3.fma(d, a13);
            d = FloatVector.broadcast(F, dy[y2 + r]);
            a20 = w0.fma(d, a20);
            a21 = w1.fma(d, a21);
            a22 = w2.fma(d, a22);
            a23 = w3.fma(d, a23);
        }
        add(dx, b * dxs + c0 + c, a00, a01, a02, a03);
        add(dx, (b + 1) * dxs + c0 + c, a10, a11, a12, a13);
        add(dx, (b + 2) * dxs + c0 + c, a20, a21, a22, a23);
    }

    private static void block4x1(float[] t, int rn, int cw, int c, float[] dy, int dys, int r0, int b, float[] dx, int dxs, int c0) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int y0 = b * dys + r0;
        for (int r = 0; r < rn; r++) {
            int o = r * cw + c;
            FloatVector d = FloatVector.broadcast(F, dy[y0 + r]);
            a0 = FloatVector.fromArray(F, t, o).fma(d, a0);
            a1 = FloatVector.fromArray(F, t, o + L).fma(d, a1);
            a2 = FloatVector.fromArray(F, t, o + 2 * L).fma(d, a2);
            a3 = FloatVector.fromArray(F, t, o + 3 * L).fma(d, a3);
        }
        add(dx, b * dxs + c0 + c, a0, a1, a2, a3);
    }

    private static void add(float[] dx, int o, FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3) {
        FloatVector.fromArray(F, dx, o).add(v0).intoArray(dx, o);
        FloatVector.fromArray(F, dx, o + L).add(v1).intoArray(dx, o + L);
        FloatVector.fromArray(F, dx, o + 2 * L).add(v2).intoArray(dx, o + 2 * L);
        FloatVector.fromArray(F, dx, o + 3 * L).add(v3).intoArray(dx, o + 3 * L);
    }

    private static void scalar(float[] t, int rn, int cw, int cFrom, int cTo, float[] dy, int dys, int r0, int b,
                               float[] dx, int dxs, int c0) {
        for (int c = cFrom; c < cTo; c++) {
            float s = 0;
            for (int r = 0; r < rn; r++) {
                s += dy[b * dys + r0 + r] * t[r * cw + c];
            }
            dx[b * dxs + c0 + c] += s;
        }
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
