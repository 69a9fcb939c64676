package dev.smelt.compress.prune;

/**
 * Which weights of each output row are zeroed.
 * <ul>
 *   <li>unstructured: the {@code floor(cols · ratio)} lowest-scored weights of every row (Wanda's
 *       per-output comparison group; magnitude uses the same group so the two differ only in score);</li>
 *   <li>N:M (e.g. 2:4, as NVIDIA's sparse tensor cores and SparseGPT spell it): in every group of M
 *       consecutive weights along a row (the input dimension) at most N stay non-zero — the M − N
 *       lowest-scored are zeroed.</li>
 * </ul>
 * Immutable.
 *
 * @param ratio unstructured fraction in [0, 1), or 0 for N:M
 * @param n     weights kept per group (0 when unstructured)
 * @param m     group size (0 when unstructured)
 */
public record Sparsity(double ratio, int n, int m) {

    public Sparsity {
        if (m == 0 && !(ratio >= 0 && ratio < 1)) {
            throw new IllegalArgumentException("--sparsity must be in [0, 1), got " + ratio);
        }
        if (m != 0 && (n < 1 || n >= m || m > 64)) {
            throw new IllegalArgumentException("--pattern N:M needs 1 <= N < M <= 64, got " + n + ":" + m);
        }
    }

    public static Sparsity unstructured(double ratio) {
        return new Sparsity(ratio, 0, 0);
    }

    /** Parses {@code N:M}, e.g. {@code 2:4}. */
    public static Sparsity pattern(String s) {
        String[] p = s.trim().split(":");
        try {
            if (p.length == 2) {
                return new Sparsity(0, Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("--pattern must look like N:M (e.g. 2:4), got '" + s + "'");
    }

    public boolean structured() {
        return m != 0;
    }

    /** Weights zeroed in one row of {@code cols}. */
    public int prunedPerRow(int cols) {
        return structured() ? cols / m * (m - n) : (int) Math.floor(cols * ratio);
    }

    /** Fraction of weights zeroed. */
    public double fraction() {
        return structured() ? (m - n) / (double) m : ratio;
    }

    @Override
    public String toString() {
        return structured() ? n + ":" + m : Double.toString(ratio);
    }
}
