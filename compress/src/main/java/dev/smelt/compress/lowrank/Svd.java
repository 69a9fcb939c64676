package dev.smelt.compress.lowrank;

/**
 * Thin singular value decomposition A = U·diag(σ)·Vᵀ of a real m×n matrix, in double precision,
 * through the eigendecomposition of the smaller Gram matrix (AᵀA when n ≤ m, else AAᵀ) by
 * {@link SymmetricEigen} (Householder tridiagonalization + implicit QR); σᵢ = √λᵢ and the other
 * side's vectors are A·vᵢ/σᵢ (or Aᵀ·uᵢ/σᵢ), formed only for as many triplets as the caller keeps.
 *
 * <h2>Accuracy</h2>
 * The eigensolver gives eigenvalues of the Gram matrix to an absolute error of about ε·σ₁² (ε = 2.2e-16),
 * so σᵢ carries an absolute error of about ε·σ₁²/(2σᵢ): the leading singular values and vectors —
 * the ones a truncation keeps — are accurate to ~1e-15 relative, while values below √ε·σ₁ ≈ 1.5e-8·σ₁
 * are noise (they are reported, but a vector whose σ is below {@link #NULL_SPACE} · σ₁ is set to zero
 * rather than divided by noise). Cost: k²·max(m, n)/2 multiply-adds for the Gram matrix, ~4k³
 * for the eigensolver and r·m·n for r kept vectors, k = min(m, n); memory: a few k×k and one
 * max(m,n)×r array of doubles.
 *
 * <p>Thread-safety: stateless.
 */
public final class Svd {
    /** Relative size below which a singular value is treated as zero when forming the other side's vector. */
    static final double NULL_SPACE = 1e-12;

    /**
     * @param s singular values, descending                      // [k]
     * @param r number of singular vector pairs formed (≤ k)
     * @param u left singular vectors, column i = u[··, i]       // [m, r] row-major
     * @param v right singular vectors                           // [n, r] row-major
     */
    public record Result(int m, int n, int k, int r, double[] s, double[] u, double[] v) {
    }

    private Svd() {
    }

    /** Decomposes row-major {@code a} [m, n], forming all k singular vector pairs. */
    public static Result of(double[] a, int m, int n) {
        return of(a, m, n, s -> s.length);
    }

    /**
     * Decomposes row-major {@code a} [m, n], forming {@code keep.applyAsInt(σ)} vector pairs (clamped
     * to [0, k]) once the singular values σ are known.
     */
    public static Result of(double[] a, int m, int n, java.util.function.ToIntFunction<double[]> keep) {
        if (m <= 0 || n <= 0 || a == null || a.length != (long) m * n) {
            throw new IllegalArgumentException("matrix [" + m + ", " + n + "] does not match "
                    + (a == null ? "null" : a.length + " values"));
        }
        if (n <= m) {
            return fromGram(a, m, n, keep);
        }
        Result t = fromGram(transpose(a, m, n), n, m, keep);
        return new Result(m, n, t.k(), t.r(), t.s(), t.v(), t.u());
    }

    /** SVD of tall a [m, n], n ≤ m, through AᵀA. */
    private static Result fromGram(double[] a, int m, int n, java.util.function.ToIntFunction<double[]> keep) {
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
        SymmetricEigen.Result eig = SymmetricEigen.of(g, n);
        double[] s = new double[n];
        for (int c = 0; c < n; c++) {
            s[c] = Math.sqrt(Math.max(0, eig.values()[c]));
        }
        int r = Math.max(0, Math.min(n, keep.applyAsInt(s)));
        double[] v = new double[n * r]; // [n, r]
        for (int c = 0; c < r; c++) {
            for (int i = 0; i < n; i++) {
                v[i * r + c] = eig.vectors()[c * n + i];
            }
        }
        double[] u = new double[m * r]; // [m, r]
        for (int row = 0; row < m; row++) {
            int o = row * n;
            for (int c = 0; c < r; c++) {
                if (s[c] <= NULL_SPACE * s[0] || s[c] == 0) {
                    continue;
                }
                double acc = 0;
                int ev = c * n;
                for (int i = 0; i < n; i++) {
                    acc += a[o + i] * eig.vectors()[ev + i];
                }
                u[row * r + c] = acc / s[c];
            }
        }
        return new Result(m, n, n, r, s, u, v);
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
