package dev.smelt.train.autograd;

import dev.smelt.tensor.PanelKernel;
import dev.smelt.tensor.ThreadPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small dense products of the LoRA factors, on the heap: outputs wider than {@link #NARROW} go through
 * {@link PanelKernel} (parallel over column panels), narrow ones (a LoRA rank wide) through a 4-row ×
 * masked-vector kernel. Each output element is one chain in a fixed order, so results do not depend on
 * thread timing: resumed runs stay bit-identical. The {@code *Reference} methods are the scalar oracles.
 * Stateless, thread-safe.
 */
public final class Dense {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Outputs at most this wide (a LoRA rank) use the narrow kernels: vectors span the output row. */
    static final int NARROW = 2 * L;
    /** Output rows per narrow-kernel task (4 accumulators share each loaded vector of b). */
    private static final int ROWS = 4;

    /**
     * Products with fewer multiply-adds than this run on the calling thread: at LoRA ranks they take
     * ~0.1 ms, less than waking a parked worker costs on a busy machine (measured: most of the time of
     * pool dispatch for these products was the caller waiting for the worker to be scheduled).
     */
    static final long PARALLEL_MIN_FMAS = 8_000_000L;

    private Dense() {
    }

    private static void forEach(ThreadPool pool, long fmas, int tasks, java.util.function.IntConsumer body) {
        if (fmas < PARALLEL_MIN_FMAS) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
        } else {
            pool.parallelFor(tasks, body);
        }
    }

    /**
     * c[m, n] = a[m, k] · b[n, k]ᵀ (overwrites c), as axpy chains over a transposed copy of b: no
     * horizontal lane sums, whose order the Vector API leaves open (see {@link FrozenMatmul}).
     */
    public static void abT(ThreadPool pool, float[] a, int m, int k, float[] b, int n, float[] c) {
        float[] bt = transpose(b, n, k);
        java.util.Arrays.fill(c, 0, m * n, 0f);
        accAB(pool, a, m, k, bt, n, c);
    }

    /** [rows, cols] → [cols, rows]. */
    public static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    /** c[m, n] += a[m, k] · b[k, n]. */
    public static void accAB(ThreadPool pool, float[] a, int m, int k, float[] b, int n, float[] c) {
        if (n <= NARROW) {
            narrow(pool, a, m, k, b, n, c, false);
            return;
        }
        int panels = (n + PanelKernel.NR - 1) / PanelKernel.NR;
        forEach(pool, (long) m * k * n, panels, p -> {
            int j = p * PanelKernel.NR;
            PanelKernel.accumulate(a, 0, k, 1, b, j, n, k, c, j, n, m, Math.min(PanelKernel.NR, n - j));
        });
    }

    /** c[m, n] += a[k, m]ᵀ · b[k, n]. */
    public static void accATB(ThreadPool pool, float[] a, int k, int m, float[] b, int n, float[] c) {
        if (n <= NARROW) {
            narrow(pool, a, m, k, b, n, c, true);
            return;
        }
        int panels = (n + PanelKernel.NR - 1) / PanelKernel.NR;
        forEach(pool, (long) m * k * n, panels, p -> {
            int j = p * PanelKernel.NR;
            PanelKernel.accumulate(a, 0, 1, m, b, j, n, k, c, j, n, m, Math.min(PanelKernel.NR, n - j));
        });
    }

    /**
     * c[i, :] += Σ_kk coef(i, kk)·b[kk, :] for a narrow c (n ≤ {@link #NARROW}); coef is a[i, kk]
     * ([m, k]) or, transposed, a[kk, i] ([k, m]). Masked vectors cover each output row; four rows per
     * task reuse every loaded row of b.
     */
    private static void narrow(ThreadPool pool, float[] a, int m, int k, float[] b, int n, float[] c, boolean transposed) {
        forEach(pool, (long) m * k * n, (m + ROWS - 1) / ROWS, t -> narrowBlock(a, m, k, b, n, c, transposed, t));
    }

    /** Row groups per piece of {@link #accATBTask} on narrow outputs (each group is {@link #ROWS} rows). */
    private static final int GROUPS_PER_TASK = 16;

    /** How many independent pieces {@link #accATBTask} splits c[m, n] += a[k, m]ᵀ·b[k, n] into. */
    static int accATBTasks(int m, int n) {
        return n <= NARROW ? (m + ROWS * GROUPS_PER_TASK - 1) / (ROWS * GROUPS_PER_TASK) : (n + PanelKernel.NR - 1) / PanelKernel.NR;
    }

    /**
     * One piece of {@link #accATB} (disjoint output rows or column panels, the same chains as the whole), so
     * that callers can run the pieces inside another parallel loop instead of a loop of their own.
     */
    static void accATBTask(float[] a, int k, int m, float[] b, int n, float[] c, int task) {
        if (n <= NARROW) {
            int g1 = Math.min((m + ROWS - 1) / ROWS, (task + 1) * GROUPS_PER_TASK);
            for (int g = task * GROUPS_PER_TASK; g < g1; g++) {
                narrowBlock(a, m, k, b, n, c, true, g);
            }
        } else {
            int j = task * PanelKernel.NR;
            PanelKernel.accumulate(a, 0, 1, m, b, j, n, k, c, j, n, m, Math.min(PanelKernel.NR, n - j));
        }
    }

    /** Output rows [4t, 4t + 4) of the narrow product. */
    private static void narrowBlock(float[] a, int m, int k, float[] b, int n, float[] c, boolean transposed, int t) {
        int i0 = t * ROWS;
        int rows = Math.min(ROWS, m - i0);
        for (int j0 = 0; j0 < n; j0 += L) {
            VectorMask<Float> mask = F.indexInRange(j0, n);
            FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
            for (int kk = 0; kk < k; kk++) {
                FloatVector bv = FloatVector.fromArray(F, b, kk * n + j0, mask);
                c0 = bv.fma(FloatVector.broadcast(F, coef(a, m, k, i0, kk, transposed)), c0);
                if (rows > 1) {
                    c1 = bv.fma(FloatVector.broadcast(F, coef(a, m, k, i0 + 1, kk, transposed)), c1);
                }
                if (rows > 2) {
                    c2 = bv.fma(FloatVector.broadcast(F, coef(a, m, k, i0 + 2, kk, transposed)), c2);
                }
                if (rows > 3) {
                    c3 = bv.fma(FloatVector.broadcast(F, coef(a, m, k, i0 + 3, kk, transposed)), c3);
                }
            }
            addRow(c, i0 * n + j0, c0, mask);
            if (rows > 1) {
                addRow(c, (i0 + 1) * n + j0, c1, mask);
            }
            if (rows > 2) {
                addRow(c, (i0 + 2) * n + j0, c2, mask);
            }
            if (rows > 3) {
                addRow(c, (i0 + 3) * n + j0, c3, mask);
            }
        }
    }

    private static void addRow(float[] c, int o, FloatVector v, VectorMask<Float> mask) {
        FloatVector.fromArray(F, c, o, mask).add(v).intoArray(c, o, mask);
    }

    private static float coef(float[] a, int m, int k, int i, int kk, boolean transposed) {
        return transposed ? a[kk * m + i] : a[i * k + kk];
    }

    public static void abTReference(float[] a, int m, int k, float[] b, int n, float[] c) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int kk = 0; kk < k; kk++) {
                    s += a[i * k + kk] * b[j * k + kk];
                }
                c[i * n + j] = s;
            }
        }
    }

    public static void accABReference(float[] a, int m, int k, float[] b, int n, float[] c) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int kk = 0; kk < k; kk++) {
                    s += a[i * k + kk] * b[kk * n + j];
                }
                c[i * n + j] += s;
            }
        }
    }

    public static void accATBReference(float[] a, int k, int m, float[] b, int n, float[] c) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int kk = 0; kk < k; kk++) {
                    s += a[kk * m + i] * b[kk * n + j];
                }
                c[i * n + j] += s;
            }
        }
    }
}
