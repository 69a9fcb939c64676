package dev.smelt.router;

import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import java.util.List;
import java.util.function.Function;

/**
 * Learned router (RouteLLM-style, on local embeddings): a logistic regression over the query's
 * embedding predicts the probability that the weak target answers wrongly; the query goes straight to
 * the strong target when that probability is at least {@code threshold}. No model call is needed to
 * decide. Thread-safe when the embedding function is.
 *
 * @param embed embedding function (a batch of texts → one vector each), e.g. a sentence encoder
 */
public record LearnedPolicy(String weak, String strong, LogisticRegression model, Function<List<String>, float[][]> embed,
                            double threshold) implements Policy {
    @Override
    public String first(Query q) {
        return score(q, null) >= threshold ? strong : weak;
    }

    @Override
    public double score(Query q, Answer weakAnswer) {
        return model.probability(embed.apply(List.of(q.input()))[0]);
    }

    @Override
    public Policy withThreshold(double t) {
        return new LearnedPolicy(weak, strong, model, embed, t);
    }
}
