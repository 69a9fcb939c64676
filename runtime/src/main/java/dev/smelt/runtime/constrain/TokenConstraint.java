package dev.smelt.runtime.constrain;

/**
 * Restricts which tokens may come next (grammar-constrained decoding). One instance per sequence,
 * advanced with {@link #accept}; not thread-safe.
 */
public interface TokenConstraint {
    /** Whether {@code token} may be generated now. */
    boolean allows(int token);

    /** Advances past {@code token} (which must be allowed). */
    void accept(int token);

    /** True when the constrained output is complete; only end-of-generation tokens remain allowed. */
    boolean complete();

    /** Where the constrained output stands, for error messages (e.g. "at byte 12 of the JSON document"). */
    default String position() {
        return "after the tokens accepted so far";
    }

    /**
     * Tokens that the constraint alone determines from here (jump-forward decoding): appended without sampling. Empty
     * (the default) when there is a choice or the constraint cannot tokenize what it forces. Does not advance.
     */
    default int[] forcedTokens() {
        return new int[0];
    }
}
