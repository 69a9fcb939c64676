package dev.smelt.router;

import dev.smelt.eval.EvalRecord;
import java.util.List;
import java.util.function.Function;

/**
 * Trains the learned router from evaluation outcomes of the weak target: label 1 = the weak target
 * answered wrongly (the query should go to the strong one), features = the query's embedding.
 * Stateless.
 */
public final class RouteTrainer {
    /** L2 strength, steps and step size: enough to converge on a few thousand examples of unit-norm embeddings. */
    static final double L2 = 1e-4;
    static final int STEPS = 400;
    static final double LEARNING_RATE = 2.0;

    private RouteTrainer() {
    }

    public static LogisticRegression train(List<EvalRecord> weakOutcomes, Function<List<String>, float[][]> embed, String features) {
        if (weakOutcomes.isEmpty()) {
            throw new IllegalArgumentException("no evaluation outcomes to train the router on");
        }
        float[][] x = embed.apply(weakOutcomes.stream().map(EvalRecord::input).toList());
        boolean[] y = new boolean[weakOutcomes.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = !weakOutcomes.get(i).correct();
        }
        return LogisticRegression.train(x, y, L2, STEPS, LEARNING_RATE, features);
    }
}
