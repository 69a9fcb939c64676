package dev.smelt.router;

import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;

/**
 * How a router picks targets. A policy names the target to try first; after that target answered,
 * it may name a target to escalate to (cascades). {@link #score} is the policy's "needs the strong
 * model" score in [0, ∞) used for routing curves and threshold calibration: higher means more in need.
 * Implementations are thread-safe.
 */
public interface Policy {
    /** The target to try first. */
    String first(Query q);

    /** Target to escalate to after {@code answer} from {@code from}, or null to accept the answer. */
    default String escalate(Query q, String from, Answer answer) {
        return null;
    }

    /** The weak (cheap, local) and strong (teacher) target names, for curves and share accounting. */
    String weak();

    String strong();

    /** Routing score: the query (and the weak target's answer, for cascades) → higher = send to strong. */
    double score(Query q, Answer weakAnswer);

    /** The threshold this policy routes at (score >= threshold → strong). */
    double threshold();

    /** The same policy routing at another threshold. */
    Policy withThreshold(double t);

    /**
     * Why a request goes to the strong target, in a few words for the router dashboard: after {@code weakAnswer}
     * (cascades), or before any call ({@code weakAnswer} null, query-only policies).
     */
    default String reason(Query q, Answer weakAnswer) {
        return "routing score at or above the threshold";
    }

    /** Whether {@link #score} needs the weak target's answer (cascades) or only the query. */
    default boolean needsWeakAnswer() {
        return false;
    }
}
