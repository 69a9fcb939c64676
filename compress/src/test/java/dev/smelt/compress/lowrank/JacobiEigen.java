package dev.smelt.compress.lowrank;

/** Test oracle: cyclic Jacobi eigendecomposition (slow, simple, very accurate), what Svd used first. */
final class JacobiEigen {
    static final double OFF_DIAGONAL_TOLERANCE = 1e-15;
    static final int MAX_SWEEPS = 60;

    private JacobiEigen() {
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

}
