package dev.smelt.compress.lowrank;

/**
 * Eigendecomposition A = Z·diag(λ)·Zᵀ of a real symmetric n×n matrix in double precision:
 * Householder reduction to tridiagonal form (A = Q·T·Qᵀ, Q accumulated), then implicit symmetric QR
 * steps with Wilkinson shifts and deflation on T (Golub &amp; Van Loan, Matrix Computations, §8.3),
 * each Givens rotation also applied to Q. About 4n³ flops in all (cyclic Jacobi needs ~3n³ per
 * sweep and 6–10 sweeps). Backward stable: eigenvalues carry an absolute error of about ε·‖A‖₂.
 *
 * <p>Thread-safety: stateless.
 */
public final class SymmetricEigen {
    /** An off-diagonal entry is negligible below this multiple of its diagonal neighbours' magnitudes. */
    static final double DEFLATION = 1e-15;
    /** QR steps allowed per eigenvalue before giving up (typically 2–3 are needed). */
    static final int MAX_STEPS_PER_VALUE = 60;

    /**
     * @param values  eigenvalues, descending                     // [n]
     * @param vectors eigenvectors as rows: row i belongs to values[i] // [n, n]
     */
    public record Result(int n, double[] values, double[] vectors) {
    }

    private SymmetricEigen() {
    }

    /** Decomposes symmetric row-major {@code a} [n, n] (only read; a copy is reduced). */
    public static Result of(double[] a, int n) {
        if (n <= 0 || a == null || a.length != (long) n * n) {
            throw new IllegalArgumentException("matrix [" + n + ", " + n + "] does not match " + (a == null ? "null" : a.length + " values"));
        }
        double[] t = a.clone();
        double[] zt = new double[n * n]; // Qᵀ, then Zᵀ: row i = i-th column of Q (eigenvector i at the end)
        for (int i = 0; i < n; i++) {
            zt[i * n + i] = 1;
        }
        tridiagonalize(t, zt, n);
        double[] d = new double[n];
        double[] e = new double[Math.max(0, n - 1)]; // e[k] = T[k+1, k]
        for (int i = 0; i < n; i++) {
            d[i] = t[i * n + i];
            if (i + 1 < n) {
                e[i] = t[(i + 1) * n + i];
            }
        }
        qr(d, e, zt, n);
        return sorted(d, zt, n);
    }

    /** Householder: t ← Hₖ…H₁ t H₁…Hₖ (tridiagonal), zt ← (H₁…Hₖ)ᵀ accumulated as Qᵀ. */
    private static void tridiagonalize(double[] t, double[] zt, int n) {
        double[] v = new double[n];
        double[] p = new double[n];
        double[] w = new double[n];
        for (int k = 0; k < n - 2; k++) {
            double norm = 0;
            for (int i = k + 1; i < n; i++) {
                norm += t[i * n + k] * t[i * n + k];
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                continue;
            }
            double alpha = t[(k + 1) * n + k] > 0 ? -norm : norm;
            double vn = 0;
            for (int i = k + 1; i < n; i++) {
                v[i] = t[i * n + k] - (i == k + 1 ? alpha : 0);
                vn += v[i] * v[i];
            }
            vn = Math.sqrt(vn);
            if (vn == 0) {
                continue;
            }
            for (int i = k + 1; i < n; i++) {
                v[i] /= vn;
            }
            // H A H = A − 2(v qᵀ + q vᵀ) with p = A v, q = p − (vᵀp) v, on the trailing block
            double kk = 0;
            for (int i = k + 1; i < n; i++) {
                double s = 0;
                int row = i * n;
                for (int j = k + 1; j < n; j++) {
                    s += t[row + j] * v[j];
                }
                p[i] = s;
                kk += v[i] * s;
            }
            for (int i = k + 1; i < n; i++) {
                p[i] -= kk * v[i];
            }
            for (int i = k + 1; i < n; i++) {
                int row = i * n;
                double vi = v[i];
                double qi = p[i];
                for (int j = k + 1; j < n; j++) {
                    t[row + j] -= 2 * (vi * p[j] + qi * v[j]);
                }
            }
            t[(k + 1) * n + k] = alpha;
            t[k * n + k + 1] = alpha;
            for (int i = k + 2; i < n; i++) {
                t[i * n + k] = 0;
                t[k * n + i] = 0;
            }
            // Q ← Q H: rows k+1.. of Qᵀ mix; w = Σ_j v_j · zt[j, :], zt[j, :] −= 2 v_j w
            java.util.Arrays.fill(w, 0);
            for (int j = k + 1; j < n; j++) {
                double vj = v[j];
                int row = j * n;
                for (int r = 0; r < n; r++) {
                    w[r] += vj * zt[row + r];
                }
            }
            for (int j = k + 1; j < n; j++) {
                double vj2 = 2 * v[j];
                int row = j * n;
                for (int r = 0; r < n; r++) {
                    zt[row + r] -= vj2 * w[r];
                }
            }
        }
    }

    /** Implicit-shift QR on the tridiagonal (d, e) until every e[k] is negligible; rotations go into zt's rows. */
    private static void qr(double[] d, double[] e, double[] zt, int n) {
        for (int hi = n - 1; hi > 0; hi--) {
            int steps = 0;
            while (!negligible(d, e, hi - 1)) {
                if (++steps > MAX_STEPS_PER_VALUE) {
                    throw new ArithmeticException("symmetric QR did not converge for eigenvalue " + hi + " of " + n);
                }
                int lo = hi - 1;
                while (lo > 0 && !negligible(d, e, lo - 1)) {
                    lo--;
                }
                step(d, e, zt, n, lo, hi);
            }
            e[hi - 1] = 0;
        }
    }

    private static boolean negligible(double[] d, double[] e, int k) {
        return Math.abs(e[k]) <= DEFLATION * (Math.abs(d[k]) + Math.abs(d[k + 1])) || e[k] == 0;
    }

    /** One Wilkinson-shifted implicit QR step on the unreduced block [lo, hi], chasing the bulge down. */
    private static void step(double[] d, double[] e, double[] zt, int n, int lo, int hi) {
        double dlt = (d[hi - 1] - d[hi]) / 2;
        double eh = e[hi - 1];
        double sign = dlt >= 0 ? 1 : -1;
        double mu = d[hi] - eh * eh / (dlt + sign * Math.hypot(dlt, eh));
        double x = d[lo] - mu;
        double z = e[lo];
        double bulge = 0; // T[k+1, k-1] entering step k
        for (int k = lo; k < hi; k++) {
            // Givens G = [c s; −s c] with Gᵀ[x; z] = [r; 0]
            double c;
            double s;
            if (z == 0) {
                c = 1;
                s = 0;
            } else if (Math.abs(z) > Math.abs(x)) {
                double tau = -x / z;
                s = 1 / Math.sqrt(1 + tau * tau);
                c = s * tau;
            } else {
                double tau = -z / x;
                c = 1 / Math.sqrt(1 + tau * tau);
                s = c * tau;
            }
            if (k > lo) {
                e[k - 1] = c * e[k - 1] - s * bulge; // the bulge itself becomes 0
            }
            double a = d[k];
            double b = d[k + 1];
            double o = e[k];
            double cc = c * c;
            double ss = s * s;
            double cs = c * s;
            d[k] = a * cc - 2 * o * cs + b * ss;
            d[k + 1] = a * ss + 2 * o * cs + b * cc;
            e[k] = (a - b) * cs + o * (cc - ss);
            if (k + 1 < hi) {
                bulge = -s * e[k + 1];
                e[k + 1] = c * e[k + 1];
                x = e[k];
                z = bulge;
            }
            int rk = k * n;
            int rk1 = (k + 1) * n;
            for (int j = 0; j < n; j++) {
                double zk = zt[rk + j];
                double zk1 = zt[rk1 + j];
                zt[rk + j] = c * zk - s * zk1;
                zt[rk1 + j] = s * zk + c * zk1;
            }
        }
    }

    private static Result sorted(double[] d, double[] zt, int n) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
        double[] values = new double[n];
        double[] vectors = new double[n * n];
        for (int i = 0; i < n; i++) {
            values[i] = d[order[i]];
            System.arraycopy(zt, order[i] * n, vectors, i * n, n);
        }
        return new Result(n, values, vectors);
    }
}
