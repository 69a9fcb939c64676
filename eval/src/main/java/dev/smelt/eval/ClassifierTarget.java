package dev.smelt.eval;

import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;

/**
 * A classifier directory ({@code smelt classify-train} output, either method) as a target: the query's input
 * is classified by {@link TextClassifier}, exactly as {@code smelt classify} does; the answer's confidence (what
 * cascades route on) is, by {@link Confidence}, the head's calibrated probability of that label, the embedding
 * distance confidence ({@code distance.json}: how typical the query is of the training data), or their product.
 * Free. Thread-safe (the BERT embedder is safe to share, the head is immutable). Owns the classifier.
 */
public final class ClassifierTarget implements Target {
    /** Which number the answer's confidence is. */
    public enum Confidence {
        PROBABILITY, DISTANCE, COMBINED;

        public static Confidence parse(String s, String where) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "probability" -> PROBABILITY;
                case "distance" -> DISTANCE;
                case "combined" -> COMBINED;
                default -> throw new IllegalArgumentException(where + " must be probability, distance or combined, got '" + s + "'");
            };
        }
    }

    private final String name;
    private final TextClassifier classifier;
    private final Confidence confidence;

    public ClassifierTarget(String name, Path dir, int threads) throws java.io.IOException {
        this(name, dir, threads, Confidence.PROBABILITY);
    }

    public ClassifierTarget(String name, Path dir, int threads, Confidence confidence) throws java.io.IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.name = name;
        this.classifier = TextClassifier.open(dir, threads);
        this.confidence = confidence;
        if (confidence != Confidence.PROBABILITY && classifier.distance() == null) {
            classifier.close();
            throw new java.io.IOException(dir + ": confidence '" + confidence.name().toLowerCase(java.util.Locale.ROOT)
                    + "' needs the distance model (distance.json) that smelt classify-train writes; retrain the classifier");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Answer answer(Query q) {
        long t0 = System.nanoTime();
        SoftmaxClassifier.Prediction p = classifier.predict(q.input());
        double c = switch (confidence) {
            case PROBABILITY -> p.probability();
            case DISTANCE -> p.distanceConfidence();
            case COMBINED -> p.probability() * p.distanceConfidence();
        };
        return new Answer(p.label(), name, c, classifier.countTokens(q.input()), 0, BigDecimal.ZERO, System.nanoTime() - t0, false,
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
