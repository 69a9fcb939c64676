package dev.smelt.compress.gptq;

/** Dense Cholesky factorisations in double, for GPTQ's inverse Hessian. Thread-safety: stateless. */
final class Cholesky {
    private Cholesky() {
    }

    /**
     * Lower L with A = LLᵀ, in a new array, or null when A is not (numerically) positive definite.
     *
     * @param a [n, n] symmetric, row-major (only the lower triangle is read)
     */
    static double[] lower(double[] a, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) {
                s -= l[j * n + k] * l[j * n + k];
            }
            if (!(s > 0) || !Double.isFinite(s)) {
                return null;
            }
            double d = Math.sqrt(s);
            l[j * n + j] = d;
            for (int i = j + 1; i < n; i++) {
                double t = a[i * n + j];
                int io = i * n;
                int jo = j * n;
                for (int k = 0; k < j; k++) {
                    t -= l[io + k] * l[jo + k];
                }
                l[io + j] = t / d;
            }
        }
        return l;
    }

    /**
     * Upper U with A⁻¹ = UᵀU, or null when A is not positive definite. A⁻¹ = L⁻ᵀL⁻¹ from A's factor;
     * U is then the upper Cholesky factor of that inverse (torch.linalg.cholesky(..., upper=True) in GPTQ).
     */
    static double[] upperOfInverse(double[] a, int n) {
        double[] l = lower(a, n);
        if (l == null) {
            return null;
        }
        // M = L⁻¹ (lower triangular), by forward substitution column by column
        double[] m = new double[n * n];
        for (int c = 0; c < n; c++) {
            m[c * n + c] = 1 / l[c * n + c];
            for (int i = c + 1; i < n; i++) {
                double s = 0;
                int io = i * n;
                for (int k = c; k < i; k++) {
                    s += l[io + k] * m[k * n + c];
                }
                m[io + c] = -s / l[io + i];
            }
        }
        // inv = MᵀM (symmetric): inv[i][j] = Σ_k≥max(i,j) m[k][i]·m[k][j]
        double[] inv = new double[n * n];
        for (int k = 0; k < n; k++) {
            int ko = k * n;
            for (int i = 0; i <= k; i++) {
                double mi = m[ko + i];
                if (mi == 0) {
                    continue;
                }
                int io = i * n;
                for (int j = 0; j <= i; j++) {
                    inv[io + j] += mi * m[ko + j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                inv[j * n + i] = inv[i * n + j];
            }
        }
        double[] li = lower(inv, n);
        if (li == null) {
            return null;
        }
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                u[j * n + i] = li[i * n + j];
            }
        }
        return u;
    }
}
