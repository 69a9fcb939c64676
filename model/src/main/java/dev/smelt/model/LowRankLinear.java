package dev.smelt.model;

import dev.smelt.tensor.ThreadPool;

/**
 * A projection stored as two low-rank factors, W ≈ B·A, computed as y = B·(A·x) so it costs
 * r·(rows + cols) multiply-adds per token instead of rows·cols.
 *
 * <h2>Tensor names in GGUF</h2>
 * For a projection whose dense tensor would be {@code blk.N.ffn_down.weight} (ggml dims {cols, rows}),
 * {@code smelt lowrank} writes, instead of it:
 * <ul>
 *   <li>{@code blk.N.ffn_down.lr_a.weight}: A, ggml dims {cols, r} — [r, cols], applied first;</li>
 *   <li>{@code blk.N.ffn_down.lr_b.weight}: B, ggml dims {r, rows} — [rows, r].</li>
 * </ul>
 * The decoder loads the pair when the dense tensor is absent (see {@link #factorNames}).
 * Immutable and thread-safe (scratch is allocated per call).
 */
public record LowRankLinear(String name, Linear a, Linear b) implements Linear {
    /** Suffixes replacing {@code .weight} of the dense tensor's name. */
    public static final String A_SUFFIX = ".lr_a.weight";
    public static final String B_SUFFIX = ".lr_b.weight";

    public LowRankLinear {
        if (a == null || b == null) {
            throw new IllegalArgumentException("both factors are required for " + name);
        }
        if (b.cols() != a.rows()) {
            throw new IllegalArgumentException(name + ": factor B " + b.name() + " has " + b.cols()
                    + " columns but factor A " + a.name() + " has rank " + a.rows());
        }
    }

    /** {A name, B name} for a dense tensor name ending in {@code .weight}. */
    public static String[] factorNames(String denseName) {
        if (!denseName.endsWith(".weight")) {
            throw new IllegalArgumentException("tensor name must end in .weight: " + denseName);
        }
        String stem = denseName.substring(0, denseName.length() - ".weight".length());
        return new String[] {stem + A_SUFFIX, stem + B_SUFFIX};
    }

    public int rank() {
        return a.rows();
    }

    @Override
    public int rows() {
        return b.rows();
    }

    @Override
    public int cols() {
        return a.cols();
    }

    @Override
    public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
        float[] mid = new float[batch * rank()]; // [batch, r]
        a.matmul(pool, x, batch, mid);
        b.matmul(pool, mid, batch, out);
    }
}
