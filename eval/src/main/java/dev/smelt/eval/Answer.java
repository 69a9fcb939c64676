package dev.smelt.eval;

import java.math.BigDecimal;

/**
 * A target's answer and what it cost. Immutable.
 *
 * @param target     the target that answered (for a router: the one it picked, or fell back to)
 * @param confidence the answer's probability in [0, 1] (joint probability of its tokens, or a classifier's
 *                   class probability), NaN when the target cannot tell
 * @param costUsd    price of this answer on its path (also for cached answers, so paths compare fairly)
 * @param cached     answered from a cache, without a new paid call
 * @param escalations targets tried before the one that answered (router cascades and fallbacks)
 */
public record Answer(String text, String target, double confidence, long inputTokens, long outputTokens, BigDecimal costUsd,
                     long latencyNanos, boolean cached, java.util.List<String> escalations) {
    public Answer {
        escalations = java.util.List.copyOf(escalations);
    }

    public Answer withLatency(long nanos) {
        return new Answer(text, target, confidence, inputTokens, outputTokens, costUsd, nanos, cached, escalations);
    }

    /** This answer, as reached after trying {@code before} first; cost and tokens of the earlier tries are added. */
    public Answer after(java.util.List<String> before, BigDecimal extraCost, long extraIn, long extraOut) {
        java.util.List<String> esc = new java.util.ArrayList<>(before);
        esc.addAll(escalations);
        return new Answer(text, target, confidence, inputTokens + extraIn, outputTokens + extraOut, costUsd.add(extraCost), latencyNanos, cached, esc);
    }
}
