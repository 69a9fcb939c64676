package dev.smelt.compress.lowrank;

/**
 * Thin singular value decomposition A = U·diag(σ)·Vᵀ of a real m×n matrix, in double precision,
 * through the eigendecomposition of the smaller Gram matrix (AᵀA when n ≤ m, else AAᵀ) by the
 * cyclic Jacobi method: rotations zero each off-diagonal entry in turn until the off-diagonal mass
 * is below {@link #OFF_DIAGONAL_TOLERANCE} of the matrix's, then σᵢ = √λᵢ and the other side's
 * vectors are A·vᵢ/σᵢ (or Aᵀ·uᵢ/σᵢ).
 *
 * <h2>Accuracy</h2>
 * Jacobi gives eigenvalues of the Gram matrix to an absolute error of about ε·σ₁² (ε = 2.2e-16),
 * so σᵢ carries an absolute error of about ε·σ₁²/(2σᵢ): the leading singular values and vectors —
 * the ones a truncation keeps — are accurate to ~1e-15 relative, while values below √ε·σ₁ ≈ 1.5e-8·σ₁
 * are noise (they are reported, but a vector whose σ is below {@link #NULL_SPACE} · σ₁ is set to zero
 * rather than divided by noise). Cost: O(k²·max(m, n)) for the Gram matrix plus ~8 sweeps of
 * O(k³), k = min(m, n); memory: one k×k and one max(m,n)×k array of doubles.
 *
 * <p>Thread-safety: stateless.
 */
public final class Svd {
    /** Jacobi stops when the off-diagonal Frobenius norm is below this fraction of the whole matrix's. */
    static final double OFF_DIAGONAL_TOLERANCE = 1e-15;
    /** Relative size below which a singular value is treated as zero when forming the other side's vector. */
    static final double NULL_SPACE = 1e-12;
    static final int MAX_SWEEPS = 60;

    /**
     * @param s singular values, descending                      // [k]
     * @param u left singular vectors, column i = u[··, i]       // [m, k] row-major
     * @param v right singular vectors                           // [n, k] row-major
     */
    public record Result(int m, int n, int k, double[] s, double[] u, double[] v) {
    }

    private Svd() {
    }

    /** Decomposes row-major {@code a} [m, n]. */
    public static Result of(double[] a, int m, int n) {
        if (m <= 0 || n <= 0 || a == null || a.length != (long) m * n) {
            throw new IllegalArgumentException("matrix [" + m + ", " + n + "] does not match "
                    + (a == null ? "null" : a.length + " values"));
        }
        if (n <= m) {
            return fromGram(a, m, n);
        }
        Result t = fromGram(transpose(a, m, n), n, m);
        return new Result(m, n, t.k(), t.s(), t.v(), t.u());
    }

    /** SVD of tall a [m, n], n ≤ m, through AᵀA. */
    private static Result fromGram(double[] a, int m, int n) {
        double[] g = new double[n * n]; // [n, n] AᵀA
        for (int r = 0; r < m; r++) {
            int o = r * n;
            for (int i = 0; i < n; i++) {
                double ai = a[o + i];
                if (ai == 0) {
                    continue;
                }
                int gi = i * n;
                for (int j = i; j < n; j++) {
                    g[gi + j] += ai * a[o + j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                g[i * n + j] = g[j * n + i];
            }
        }
        double[] vecs = new double[n * n]; // [n, n], row j = eigenvector j (transposed for contiguous updates)
        for (int i = 0; i < n; i++) {
            vecs[i * n + i] = 1;
        }
        jacobi(g, vecs, n);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(g[y * n + y], g[x * n + x]));
        double[] s = new double[n];
        double[] v = new double[n * n];
        for (int c = 0; c < n; c++) {
            int src = order[c];
            s[c] = Math.sqrt(Math.max(0, g[src * n + src]));
            for (int i = 0; i < n; i++) {
                v[i * n + c] = vecs[src * n + i]; // row src of vecsT = eigenvector src
            }
        }
        double[] u = new double[m * n];
        for (int c = 0; c < n; c++) {
            if (s[c] <= NULL_SPACE * s[0] || s[c] == 0) {
                continue;
            }
            double inv = 1 / s[c];
            for (int r = 0; r < m; r++) {
                double acc = 0;
                int o = r * n;
                for (int i = 0; i < n; i++) {
                    acc += a[o + i] * v[i * n + c];
                }
                u[r * n + c] = acc * inv;
            }
        }
        return new Result(m, n, n, s, u, v);
    }

    /** Cyclic Jacobi on symmetric g [n, n] (diagonalized in place), accumulating rotations into the rows of vecsT. */
    static void jacobi(double[] g, double[] vecsT, int n) {
        double total = 0;
        for (double x : g) {
            total += x * x;
        }
        double limit = OFF_DIAGONAL_TOLERANCE * OFF_DIAGONAL_TOLERANCE * total;
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    off += 2 * g[i * n + j] * g[i * n + j];
                }
            }
            if (off <= limit) {
                return;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotate(g, vecsT, n, p, q);
                }
            }
        }
    }

    /**
     * One rotation in the (p, q) plane that zeroes g[p, q]: g ← Jᵀ g J, vecsT ← (vecs J)ᵀ. By symmetry
     * only rows p and q are computed (contiguous, so the JIT vectorizes them) and then mirrored into
     * columns p and q; eigenvectors are kept as rows of vecsT for the same reason.
     */
    private static void rotate(double[] g, double[] vecsT, int n, int p, int q) {
        int rp = p * n;
        int rq = q * n;
        double apq = g[rp + q];
        if (apq == 0) {
            return;
        }
        double app = g[rp + p];
        double aqq = g[rq + q];
        double theta = (aqq - app) / (2 * apq);
        double t = theta == 0 ? 1 : Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        for (int k = 0; k < n; k++) {
            double gpk = g[rp + k];
            double gqk = g[rq + k];
            g[rp + k] = c * gpk - s * gqk;
            g[rq + k] = s * gpk + c * gqk;
        }
        g[rp + p] = app - t * apq;
        g[rq + q] = aqq + t * apq;
        g[rp + q] = 0;
        g[rq + p] = 0;
        for (int k = 0; k < n; k++) {
            if (k != p && k != q) {
                g[k * n + p] = g[rp + k];
                g[k * n + q] = g[rq + k];
            }
        }
        for (int k = 0; k < n; k++) {
            double vp = vecsT[rp + k];
            double vq = vecsT[rq + k];
            vecsT[rp + k] = c * vp - s * vq;
            vecsT[rq + k] = s * vp + c * vq;
        }
    }

    private static double[] transpose(double[] a, int m, int n) {
        double[] t = new double[a.length];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                t[c * m + r] = a[r * n + c];
            }
        }
        return t;
    }
}
