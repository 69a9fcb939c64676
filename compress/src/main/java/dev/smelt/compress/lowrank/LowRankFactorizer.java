package dev.smelt.compress.lowrank;

/**
 * Activation-aware SVD (ASVD, Yuan et al. 2023) of one projection W [rows, cols]: the input columns
 * are scaled by s_j = √(mean x_j²) from an importance matrix, so directions that carry large
 * activations count more, W·S = U Σ Vᵀ is truncated to rank r and the scaling is undone:
 * W ≈ B·A with B = U_r √Σ_r [rows, r] and A = √Σ_r V_rᵀ S⁻¹ [r, cols] (Σ split evenly so both
 * factors have similar magnitudes, which helps when they are quantized). Without an importance
 * matrix S = I (plain truncated SVD, the best rank-r approximation in Frobenius norm).
 *
 * <p>Thread-safety: stateless.
 */
public final class LowRankFactorizer {
    /** Scales below this fraction of the largest are raised to it, so S⁻¹ stays bounded (dead inputs). */
    static final double MIN_SCALE = 1e-6;

    /**
     * @param a          [rank, cols]
     * @param b          [rows, rank]
     * @param energyKept Σ_{i<r} σᵢ² / Σ σᵢ² of the scaled matrix
     */
    public record Factors(int rows, int cols, int rank, float[] a, float[] b, double energyKept) {
        /** B·A [rows, cols]. */
        public float[] reconstruct() {
            float[] w = new float[rows * cols];
            double[] row = new double[cols];
            for (int i = 0; i < rows; i++) {
                java.util.Arrays.fill(row, 0);
                for (int k = 0; k < rank; k++) {
                    double bik = b[i * rank + k];
                    int o = k * cols;
                    for (int j = 0; j < cols; j++) {
                        row[j] += bik * a[o + j];
                    }
                }
                for (int j = 0; j < cols; j++) {
                    w[i * cols + j] = (float) row[j];
                }
            }
            return w;
        }
    }

    private LowRankFactorizer() {
    }

    /**
     * @param w      [rows, cols] row-major
     * @param meanSq [cols] mean (or sum) of x_j² per input column, or null for plain SVD
     */
    public static Factors factor(float[] w, int rows, int cols, float[] meanSq, RankRule rule) {
        if (rows <= 0 || cols <= 0 || w == null || w.length != (long) rows * cols) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] does not match "
                    + (w == null ? "null" : w.length + " values"));
        }
        if (meanSq != null && meanSq.length != cols) {
            throw new IllegalArgumentException("importance has " + meanSq.length + " entries, the matrix " + cols + " columns");
        }
        double[] scale = scales(meanSq, cols);
        double[] ws = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                ws[i * cols + j] = w[i * cols + j] * scale[j];
            }
        }
        Svd.Result svd = Svd.of(ws, rows, cols, rule::choose);
        int r = svd.r();
        double total = 0;
        double kept = 0;
        for (int i = 0; i < svd.k(); i++) {
            total += svd.s()[i] * svd.s()[i];
            kept += i < r ? svd.s()[i] * svd.s()[i] : 0;
        }
        float[] a = new float[r * cols];
        float[] b = new float[rows * r];
        for (int c = 0; c < r; c++) {
            double root = Math.sqrt(svd.s()[c]);
            for (int i = 0; i < rows; i++) {
                b[i * r + c] = (float) (svd.u()[i * r + c] * root);
            }
            for (int j = 0; j < cols; j++) {
                a[c * cols + j] = (float) (svd.v()[j * r + c] * root / scale[j]);
            }
        }
        return new Factors(rows, cols, r, a, b, total == 0 ? 1 : kept / total);
    }

    private static double[] scales(float[] meanSq, int cols) {
        double[] s = new double[cols];
        if (meanSq == null) {
            java.util.Arrays.fill(s, 1);
            return s;
        }
        double max = 0;
        for (int j = 0; j < cols; j++) {
            if (!(meanSq[j] >= 0) || Float.isInfinite(meanSq[j])) {
                throw new IllegalArgumentException("importance at column " + j + " is " + meanSq[j] + ", expected a finite value >= 0");
            }
            s[j] = Math.sqrt(meanSq[j]);
            max = Math.max(max, s[j]);
        }
        if (max == 0) {
            java.util.Arrays.fill(s, 1);
            return s;
        }
        for (int j = 0; j < cols; j++) {
            s[j] = Math.max(s[j], MIN_SCALE * max);
        }
        return s;
    }
}
