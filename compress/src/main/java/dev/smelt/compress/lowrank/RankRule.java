package dev.smelt.compress.lowrank;

/**
 * How many singular values to keep: a fixed rank, or the fewest whose squares hold at least
 * {@code energy} of the (activation-scaled) matrix's squared Frobenius norm. Immutable.
 */
public record RankRule(int rank, double energy) {

    public RankRule {
        if ((rank > 0) == (energy > 0)) {
            throw new IllegalArgumentException("give exactly one of --rank R (> 0) or --energy E (in (0, 1]), got rank "
                    + rank + ", energy " + energy);
        }
        if (energy < 0 || energy > 1) {
            throw new IllegalArgumentException("--energy must be in (0, 1], got " + energy);
        }
    }

    public static RankRule ofRank(int r) {
        if (r <= 0) {
            throw new IllegalArgumentException("--rank must be positive, got " + r);
        }
        return new RankRule(r, 0);
    }

    public static RankRule ofEnergy(double e) {
        if (!(e > 0 && e <= 1)) {
            throw new IllegalArgumentException("--energy must be in (0, 1], got " + e);
        }
        return new RankRule(0, e);
    }

    /** The rank for singular values {@code s} (descending), clamped to [1, s.length]. */
    public int choose(double[] s) {
        if (rank > 0) {
            return Math.min(rank, s.length);
        }
        double total = 0;
        for (double x : s) {
            total += x * x;
        }
        double acc = 0;
        for (int i = 0; i < s.length; i++) {
            acc += s[i] * s[i];
            if (acc >= energy * total * (1 - 1e-12)) {
                return i + 1;
            }
        }
        return s.length;
    }

    @Override
    public String toString() {
        return rank > 0 ? "rank " + rank : "energy " + energy;
    }
}
