package dev.smelt.compress.gptq;

import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.model.arch.DecoderModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects, per block weight, H = Σ xᵀx over calibration tokens (the GPTQ Hessian, up to a factor 2),
 * Σ x² per column (= diag H, llama-imatrix's in_sum2), Σ |x| per column (AWQ's activation magnitude) and
 * the token count, as a {@link DecoderModel.MatmulObserver} during smelt's own forward.
 *
 * <p>Weights that read the same activations (q/k/v after the attention norm, gate/up after the FFN norm)
 * share one accumulator: a matmul whose input equals the previous matmul's input adds nothing new.
 * Full matrices are kept only while their total stays under a memory budget; a weight past the budget
 * keeps only its diagonal statistics (it is then quantized by importance-weighted rounding, and the
 * count is reported by {@link #diagonalOnly}). Not thread-safe (the forward calls it on one thread).
 */
public final class HessianCollector implements DecoderModel.MatmulObserver {
    /** Statistics of one activation stream (shared by the weights that read it). */
    public static final class Stats {
        final int cols;
        final double[] h;      // [cols, cols] Σ xᵀx, or null past the budget (lower triangle filled until finish)
        final double[] sumSq;  // [cols] Σ x²
        final double[] sumAbs; // [cols] Σ |x|
        long tokens;
        private boolean finished;

        Stats(int cols, boolean full) {
            this.cols = cols;
            this.h = full ? new double[cols * cols] : null;
            this.sumSq = new double[cols];
            this.sumAbs = new double[cols];
        }

        /**
         * Rescales the statistics for inputs x' = x / s (after AWQ folded 1/s into the previous op):
         * H' = S⁻¹HS⁻¹, Σx'² = Σx²/s², Σ|x'| = Σ|x|/s.
         *
         * @param s [cols] positive scales
         */
        public void divideInputs(float[] s) {
            double[] full = hessian();
            for (int i = 0; i < cols; i++) {
                sumSq[i] /= (double) s[i] * s[i];
                sumAbs[i] /= s[i];
                if (full != null) {
                    for (int j = 0; j < cols; j++) {
                        full[i * cols + j] /= (double) s[i] * s[j];
                    }
                }
            }
        }

        /** [cols, cols] symmetric Σ xᵀx, or null when only the diagonal was kept. */
        public double[] hessian() {
            if (h != null && !finished) {
                for (int i = 0; i < cols; i++) {
                    for (int j = 0; j < i; j++) {
                        h[j * cols + i] = h[i * cols + j];
                    }
                }
                finished = true;
            }
            return h;
        }

        /** diag H as a dense matrix when only the diagonal was kept, else {@link #hessian()}. */
        public double[] hessianOrDiagonal() {
            double[] full = hessian();
            if (full != null) {
                return full;
            }
            double[] d = new double[cols * cols];
            for (int i = 0; i < cols; i++) {
                d[i * cols + i] = sumSq[i];
            }
            return d;
        }

        public int cols() {
            return cols;
        }

        public long tokens() {
            return tokens;
        }

        /** mean x² per column: llama-imatrix's importance. */
        public float[] meanSquare() {
            float[] v = new float[cols];
            for (int i = 0; i < cols; i++) {
                v[i] = tokens > 0 ? (float) (sumSq[i] / tokens) : 1f;
            }
            return v;
        }

        /** mean |x| per column: AWQ's activation magnitude. */
        public float[] meanAbs() {
            float[] v = new float[cols];
            for (int i = 0; i < cols; i++) {
                v[i] = tokens > 0 ? (float) (sumAbs[i] / tokens) : 1f;
            }
            return v;
        }
    }

    private final long budgetBytes;
    private final Map<String, Stats> byWeight = new LinkedHashMap<>();
    private long usedBytes;
    private float[] lastX = new float[0];
    private int lastLen = -1;
    private int lastCols;
    private Stats lastStats;
    private int diagonalOnly;

    /** @param budgetBytes the most memory the full matrices may take together (8 bytes per entry) */
    public HessianCollector(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    @Override
    public void onMatmul(String weightName, float[] x, int batch, int cols) {
        int len = batch * cols;
        Stats s = byWeight.get(weightName);
        boolean sameInput = lastStats != null && lastCols == cols && lastLen == len
                && Arrays.equals(lastX, 0, len, x, 0, len);
        if (s == null) {
            if (sameInput && lastStats.cols == cols) {
                byWeight.put(weightName, lastStats);
                return;
            }
            long bytes = 8L * cols * cols;
            boolean full = usedBytes + bytes <= budgetBytes;
            if (full) {
                usedBytes += bytes;
            } else {
                diagonalOnly++;
            }
            s = new Stats(cols, full);
            byWeight.put(weightName, s);
        } else if (sameInput && s == lastStats) {
            return; // this batch was already added through a weight sharing the input
        }
        accumulate(s, x, batch, cols);
        if (lastX.length < len) {
            lastX = new float[len];
        }
        System.arraycopy(x, 0, lastX, 0, len);
        lastLen = len;
        lastCols = cols;
        lastStats = s;
    }

    private static void accumulate(Stats s, float[] x, int batch, int cols) {
        for (int b = 0; b < batch; b++) {
            int o = b * cols;
            for (int i = 0; i < cols; i++) {
                double v = x[o + i];
                s.sumSq[i] += v * v;
                s.sumAbs[i] += Math.abs(v);
            }
        }
        s.tokens += batch;
        if (s.h == null) {
            return;
        }
        // lower triangle, batch-summed in float (≤ one forward batch of terms) then added in double
        float[] acc = new float[cols];
        for (int i = 0; i < cols; i++) {
            Arrays.fill(acc, 0, i + 1, 0f);
            for (int b = 0; b < batch; b++) {
                int o = b * cols;
                float xi = x[o + i];
                if (xi == 0) {
                    continue;
                }
                for (int j = 0; j <= i; j++) {
                    acc[j] += xi * x[o + j];
                }
            }
            int ho = i * cols;
            for (int j = 0; j <= i; j++) {
                s.h[ho + j] += acc[j];
            }
        }
    }

    /**
     * Diagonal-only statistics from an importance matrix file (mean x² per column, one token): GPTQ then
     * has no cross-column terms and AWQ takes √(mean x²) as the activation magnitude.
     */
    public static HessianCollector fromImportance(ImportanceMatrix im) {
        HessianCollector c = new HessianCollector(0);
        for (Map.Entry<String, float[]> e : im.entries().entrySet()) {
            float[] v = e.getValue();
            Stats s = new Stats(v.length, false);
            for (int i = 0; i < v.length; i++) {
                s.sumSq[i] = v[i];
                s.sumAbs[i] = Math.sqrt(Math.max(0, v[i]));
            }
            s.tokens = 1;
            c.byWeight.put(e.getKey(), s);
        }
        return c;
    }

    /** Statistics for a weight, or null when no calibration token reached it. */
    public Stats forWeight(String name) {
        return byWeight.get(name);
    }

    /** Weight name → statistics (weights sharing an input share the object), in first-seen order. */
    public Map<String, Stats> all() {
        return byWeight;
    }

    /** Bytes the full matrices take. */
    public long hessianBytes() {
        return usedBytes;
    }

    /** Activation streams kept diagonal-only because the budget was spent. */
    public int diagonalOnly() {
        return diagonalOnly;
    }

    /** The diagonal statistics as llama-quantize's importance (mean x² per column). */
    public ImportanceMatrix importance() {
        Map<String, float[]> out = new TreeMap<>();
        byWeight.forEach((k, v) -> out.put(k, v.meanSquare()));
        return ImportanceMatrix.of(out);
    }
}
