package dev.smelt.compress.prune;

import java.util.Arrays;

/**
 * Zeroes the lowest-scored weights of a row-major matrix W [rows, cols] (rows = output features,
 * cols = input features, GGUF's layout). Ties are broken by column index (lower first), so results are
 * deterministic. Thread-safety: stateless.
 */
public final class Pruner {
    private Pruner() {
    }

    /**
     * Prunes {@code w} in place.
     *
     * @param w          [rows, cols], modified
     * @param inputNorm2 [cols] Σ or mean of x_j² per input column (Wanda), null for magnitude
     * @return the number of weights set to zero (always rows · s.prunedPerRow(cols))
     * @throws IllegalArgumentException on shape mismatches, a missing importance for Wanda, or a row
     *                                  length not divisible by M
     */
    public static long prune(float[] w, int rows, int cols, PruneMethod method, Sparsity s, float[] inputNorm2) {
        if (rows <= 0 || cols <= 0 || w == null || w.length < (long) rows * cols) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] does not match "
                    + (w == null ? "null" : w.length + " values"));
        }
        if (method == PruneMethod.WANDA && (inputNorm2 == null || inputNorm2.length != cols)) {
            throw new IllegalArgumentException("Wanda needs input norms for " + cols + " columns, got "
                    + (inputNorm2 == null ? "none" : inputNorm2.length));
        }
        if (s.structured() && cols % s.m() != 0) {
            throw new IllegalArgumentException("row length " + cols + " is not a multiple of the pattern's group size " + s.m());
        }
        float[] colScale = new float[cols];
        for (int j = 0; j < cols; j++) {
            colScale[j] = method == PruneMethod.WANDA ? (float) Math.sqrt(Math.max(0, inputNorm2[j])) : 1f;
        }
        long pruned = 0;
        double[] score = new double[cols];
        for (int r = 0; r < rows; r++) {
            int off = r * cols;
            for (int j = 0; j < cols; j++) {
                score[j] = Math.abs(w[off + j]) * (double) colScale[j];
            }
            if (s.structured()) {
                for (int g = 0; g < cols; g += s.m()) {
                    pruned += zeroLowest(w, off, score, g, s.m(), s.m() - s.n());
                }
            } else {
                pruned += zeroLowest(w, off, score, 0, cols, s.prunedPerRow(cols));
            }
        }
        return pruned;
    }

    /** Zeroes the k lowest scores among columns [from, from+len) of the row at {@code off}. */
    private static int zeroLowest(float[] w, int off, double[] score, int from, int len, int k) {
        if (k <= 0) {
            return 0;
        }
        double[] sorted = Arrays.copyOfRange(score, from, from + len);
        Arrays.sort(sorted);
        double threshold = sorted[k - 1];
        int below = 0;
        for (int j = from; j < from + len; j++) {
            if (score[j] < threshold) {
                below++;
            }
        }
        int tiesLeft = k - below; // columns with score == threshold to prune, lowest index first
        int done = 0;
        for (int j = from; j < from + len; j++) {
            if (score[j] < threshold || (score[j] == threshold && tiesLeft-- > 0)) {
                w[off + j] = 0f;
                done++;
            }
        }
        return done;
    }
}
