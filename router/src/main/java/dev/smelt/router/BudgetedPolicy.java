package dev.smelt.router;

import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;

/**
 * A policy whose "go to the strong target" decisions are made by a {@link ShareController} from the inner policy's
 * scores: the teacher share is held to a budget (or, in quality mode, the calibrated threshold is kept and the
 * share only tracked). Cascades decide after the weak answer, query-only policies before any call. Thread-safe
 * (the controller is; the inner policy is).
 */
public record BudgetedPolicy(Policy inner, ShareController controller) implements Policy {
    @Override
    public String first(Query q) {
        if (inner.needsWeakAnswer()) {
            return inner.first(q);
        }
        return controller.decide(inner.score(q, null)) ? inner.strong() : inner.weak();
    }

    @Override
    public String escalate(Query q, String from, Answer answer) {
        if (!inner.needsWeakAnswer() || !from.equals(inner.weak())) {
            return null;
        }
        return controller.decide(inner.score(q, answer)) ? inner.strong() : null;
    }

    @Override
    public String weak() {
        return inner.weak();
    }

    @Override
    public String strong() {
        return inner.strong();
    }

    @Override
    public double score(Query q, Answer weakAnswer) {
        return inner.score(q, weakAnswer);
    }

    @Override
    public String reason(Query q, Answer weakAnswer) {
        return inner.reason(q, weakAnswer);
    }

    /** The controller's current threshold. */
    @Override
    public double threshold() {
        return controller.threshold();
    }

    /** The inner policy at a fixed threshold (offline evaluation, which replays its own controller). */
    @Override
    public Policy withThreshold(double t) {
        return inner.withThreshold(t);
    }

    @Override
    public boolean needsWeakAnswer() {
        return inner.needsWeakAnswer();
    }
}
