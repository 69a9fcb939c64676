package dev.smelt.compress.prune;

import java.util.Locale;

/** How a weight's importance is scored before the lowest-scored ones are set to zero. */
public enum PruneMethod {
    /** |W_ij|. */
    MAGNITUDE,
    /**
     * Wanda (Sun et al. 2023, "A Simple and Effective Pruning Approach for Large Language Models"):
     * |W_ij|·‖X_j‖₂, where ‖X_j‖₂² is the sum over calibration tokens of the squared activation
     * entering input column j — exactly what an importance matrix accumulates.
     */
    WANDA;

    /** Parses {@code magnitude} or {@code wanda} (any case). */
    public static PruneMethod parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unknown --method '" + s + "'; accepted: magnitude, wanda");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
