package dev.smelt.router;

import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import java.util.function.Predicate;

/**
 * Confidence cascade (FrugalGPT-style): the weak target answers first; the router escalates to the
 * strong target when the answer's confidence is at or below {@code minConfidence} or, with a validity check,
 * when the answer does not have the task's form (not a label of the set, not schema-valid JSON).
 * Score = 1 − confidence (2 for an invalid answer, 1 when the target reports no confidence), so
 * "score ≥ 1 − minConfidence" is the escalation rule. Immutable, thread-safe.
 */
public record CascadePolicy(String weak, String strong, double minConfidence, Predicate<String> valid) implements Policy {
    public CascadePolicy {
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw new IllegalArgumentException("cascade threshold (min confidence) must be in [0, 1], got " + minConfidence);
        }
    }

    @Override
    public String first(Query q) {
        return weak;
    }

    @Override
    public String escalate(Query q, String from, Answer answer) {
        return from.equals(weak) && score(q, answer) >= threshold() ? strong : null;
    }

    @Override
    public double score(Query q, Answer a) {
        if (valid != null && !valid.test(a.text())) {
            return 2;
        }
        return Double.isNaN(a.confidence()) ? 1 : 1 - a.confidence();
    }

    @Override
    public String reason(Query q, Answer a) {
        if (a == null) {
            return "sent to the strong target first";
        }
        if (valid != null && !valid.test(a.text())) {
            return "invalid answer";
        }
        return Double.isNaN(a.confidence()) ? "no confidence reported" : "low confidence";
    }

    @Override
    public double threshold() {
        return 1 - minConfidence;
    }

    @Override
    public Policy withThreshold(double t) {
        return new CascadePolicy(weak, strong, Math.max(0, Math.min(1, 1 - t)), valid);
    }

    @Override
    public boolean needsWeakAnswer() {
        return true;
    }
}
