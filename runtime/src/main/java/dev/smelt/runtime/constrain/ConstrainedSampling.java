package dev.smelt.runtime.constrain;

import dev.smelt.runtime.sampling.Sampler;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Sampling under a {@link TokenConstraint} without checking the whole vocabulary every step: the
 * unconstrained choice is tried first (usually valid once the model follows the format); otherwise
 * candidates are checked in descending logit order until {@link #VALID_CANDIDATES} valid ones are
 * found, everything else is masked to −∞, and the sampler draws again. Stateless; thread-safe.
 */
public final class ConstrainedSampling {
    /** Valid candidates kept when masking: enough for top-k/top-p sampling to keep its diversity. */
    static final int VALID_CANDIDATES = 64;

    private ConstrainedSampling() {
    }

    /**
     * @param endToken an end-of-generation token to force when the constraint is complete
     * @throws ConstraintDeadEndException when no token may come next (the output so far cannot be completed)
     */
    public static int sample(Sampler sampler, float[] logits, int[] history, int historyLen, TokenConstraint c,
                             int endToken, IntPredicate isEnd) {
        if (c.complete()) {
            return endToken;
        }
        int t = sampler.sample(logits, 0, logits.length, history, historyLen);
        if (c.allows(t)) {
            return t;
        }
        long[] order = byLogit(logits);
        float[] masked = new float[logits.length];
        Arrays.fill(masked, Float.NEGATIVE_INFINITY);
        int found = 0;
        for (int i = order.length - 1; i >= 0 && found < VALID_CANDIDATES; i--) {
            int id = (int) order[i];
            if (c.allows(id)) {
                masked[id] = logits[id];
                found++;
            }
        }
        if (found == 0) {
            // ending here would report a cut document as finished ("stop"): fail the request instead
            throw new ConstraintDeadEndException("constrained decoding reached a dead end " + c.position()
                    + ": no token of this model's vocabulary can continue a valid output (the schema needs text the vocabulary cannot spell)");
        }
        return sampler.sample(masked, 0, masked.length, history, historyLen);
    }

    /**
     * Token ids in ascending logit order, as primitive keys (logit bits made order-preserving as a signed int, in the
     * high half; the id in the low half): a 256k vocabulary sorts in milliseconds, where boxed ids with a comparator
     * took a large part of each constrained step.
     */
    static long[] byLogit(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            bits ^= (bits >> 31) & 0x7FFFFFFF; // negative floats: reverse their magnitude order
            keys[i] = (long) bits << 32 | i;
        }
        Arrays.sort(keys);
        return keys;
    }
}
