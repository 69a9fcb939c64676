package dev.smelt.eval;

import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;

/**
 * A classifier directory ({@code smelt classify-train} output, either method) as a target: the query's input
 * is classified by {@link TextClassifier}, exactly as {@code smelt classify} does; the answer's confidence is the
 * head's calibrated probability of that label (what cascades route on). Free. Thread-safe (the BERT embedder is
 * safe to share, the head is immutable). Owns the classifier.
 */
public final class ClassifierTarget implements Target {
    private final String name;
    private final TextClassifier classifier;

    public ClassifierTarget(String name, Path dir, int threads) throws java.io.IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.name = name;
        this.classifier = TextClassifier.open(dir, threads);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Answer answer(Query q) {
        long t0 = System.nanoTime();
        SoftmaxClassifier.Prediction p = classifier.predict(q.input());
        return new Answer(p.label(), name, p.probability(), classifier.countTokens(q.input()), 0, BigDecimal.ZERO, System.nanoTime() - t0, false,
                List.of());
    }

    /** The encoder as an embedding function (for a learned router on the same embeddings). */
    public BertEmbedder embedder() {
        return classifier.embedder();
    }

    @Override
    public boolean isFree() {
        return true;
    }

    @Override
    public boolean isThreadSafe() {
        return true;
    }

    @Override
    public void close() {
        classifier.close();
    }
}
