package dev.smelt.tensor;

/**
 * Dense F32 matrix product out[t, j] = Σ_c x[t, c] · W[j, c] (+ bias[j]) for a weight matrix that is used many
 * times (encoder projections), with W repacked once into column panels so the inner loop streams it
 * contiguously and never reduces across lanes.
 *
 * <p>Packed layout: W [n, k] is cut into panels of {@link #NR} = 4 vectors of output columns; panel p holds,
 * for every input feature c in order, the NR weights W[p·NR + j, c] (j = 0..NR−1; columns past n are 0):
 * {@code packed[(p·k + c)·NR + j]}. The micro-kernel is {@link PanelKernel} (shared with the trainer): a
 * 4-row × 4-vector block of outputs in 16 registers, per input feature 4 weight vectors loaded and 4
 * activations broadcast: 16 FMAs per 8 loads, no horizontal sums (the {@link Gemm} dot-product kernel
 * needs 12 reductions per block).
 *
 * <p>{@link #reference} is the scalar oracle. Stateless, thread-safe.
 */
public final class PackedGemm {
    /** Output columns per panel: four vectors, {@link PanelKernel#NR}. */
    public static final int NR = PanelKernel.NR;
    /** Activation rows per parallel task: balances 2–16 threads on a few hundred tokens. */
    private static final int ROWS_PER_TASK = 64;

    private PackedGemm() {
    }

    /** Panels needed for n output columns. */
    public static int panels(int n) {
        return (n + NR - 1) / NR;
    }

    /**
     * Packs W given row-major [n, k] (PyTorch's [out, in]).
     *
     * @param w [n, k]
     * @return [panels(n), k, NR]
     */
    public static float[] pack(float[] w, int n, int k) {
        check(w, (long) n * k, "w");
        float[] p = new float[panels(n) * k * NR];
        for (int j = 0; j < n; j++) {
            int panel = j / NR;
            int lane = j % NR;
            for (int c = 0; c < k; c++) {
                p[(panel * k + c) * NR + lane] = w[j * k + c];
            }
        }
        return p;
    }

    /**
     * Packs W given row-major [k, n] (ONNX MatMul's [in, out], x·W).
     *
     * @param w [k, n]
     */
    public static float[] packTransposed(float[] w, int k, int n) {
        check(w, (long) n * k, "w");
        float[] p = new float[panels(n) * k * NR];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < n; j++) {
                p[((j / NR) * k + c) * NR + j % NR] = w[c * n + j];
            }
        }
        return p;
    }

    private static void check(float[] a, long expected, String what) {
        if (a == null || a.length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " values, got " + (a == null ? "null" : a.length));
        }
    }

    /**
     * @param x      [rows, k] activations
     * @param packed from {@link #pack} of a [n, k] matrix
     * @param bias   [n] or null
     * @param out    [rows, n] (overwritten)
     */
    public static void multiply(ThreadPool pool, float[] x, int rows, int k, float[] packed, int n, float[] bias, float[] out) {
        if (x.length < (long) rows * k || out.length < (long) rows * n || packed.length != panels(n) * k * NR
                || bias != null && bias.length != n) {
            throw new IllegalArgumentException("shapes do not match: x " + x.length + " for [" + rows + ", " + k + "], out "
                    + out.length + " for [" + rows + ", " + n + "], packed " + packed.length + " (expected " + panels(n) * k * NR
                    + "), bias " + (bias == null ? "none" : bias.length));
        }
        int np = panels(n);
        int rowTasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        pool.parallelFor(np * rowTasks, task -> {
            int p = task % np;
            int r0 = (task / np) * ROWS_PER_TASK;
            int r1 = Math.min(rows, r0 + ROWS_PER_TASK);
            panel(x, k, packed, p, n, bias, out, r0, r1);
        });
    }

    /**
     * Rows r0..r1 of one panel: out starts at the bias (or 0) and {@link PanelKernel} adds the products in
     * one FMA chain per element, so the result is bit-identical to a bias-initialized accumulator.
     */
    private static void panel(float[] x, int k, float[] packed, int p, int n, float[] bias, float[] out, int r0, int r1) {
        int c0 = p * NR;
        int w = Math.min(NR, n - c0);
        for (int t = r0; t < r1; t++) {
            if (bias == null) {
                java.util.Arrays.fill(out, t * n + c0, t * n + c0 + w, 0f);
            } else {
                System.arraycopy(bias, c0, out, t * n + c0, w);
            }
        }
        PanelKernel.accumulate(x, r0 * k, k, 1, packed, p * k * NR, NR, k, out, r0 * n + c0, n, r1 - r0, w);
    }

    /** Scalar oracle: out[t, j] = bias[j] + Σ_c x[t, c]·w[j, c] with w unpacked [n, k], summed in float. */
    public static void reference(float[] x, int rows, int k, float[] w, int n, float[] bias, float[] out) {
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int c = 0; c < k; c++) {
                    s += x[t * k + c] * w[j * k + c];
                }
                out[t * n + j] = s + (bias == null ? 0 : bias[j]);
            }
        }
    }
}
