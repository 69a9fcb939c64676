package dev.smelt.train.autograd;

import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.VectorOps;

/**
 * Small dense products of the LoRA factors and attention, on the heap, parallel over output rows
 * (each output row is computed by one task in a fixed order, so results do not depend on thread
 * timing: resumed runs stay bit-identical). Vector kernels through {@link VectorOps}; the
 * {@code *Reference} methods are the scalar oracles. Stateless, thread-safe.
 */
public final class Dense {
    private Dense() {
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
        pool.parallelFor(m, i -> {
            for (int kk = 0; kk < k; kk++) {
                float s = a[i * k + kk];
                if (s != 0f) {
                    VectorOps.axpy(s, b, kk * n, c, i * n, n);
                }
            }
        });
    }

    /** c[m, n] += a[k, m]ᵀ · b[k, n]. */
    public static void accATB(ThreadPool pool, float[] a, int k, int m, float[] b, int n, float[] c) {
        pool.parallelFor(m, i -> {
            for (int kk = 0; kk < k; kk++) {
                float s = a[kk * m + i];
                if (s != 0f) {
                    VectorOps.axpy(s, b, kk * n, c, i * n, n);
                }
            }
        });
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
