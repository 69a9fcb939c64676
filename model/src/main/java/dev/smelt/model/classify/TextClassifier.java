package dev.smelt.model.classify;

import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A classifier directory written by {@code smelt classify-train} (either method), opened for prediction:
 * the softmax head of {@code classifier.json} over its encoder (the fine-tuned one saved inside the directory,
 * or the built-in/path encoder the head was trained on). The one loading and prediction path behind
 * {@code smelt classify}, {@code /v1/classify} and eval's classifier targets, so all three give the same
 * label and probability for a text. Thread-safe (the embedder is safe to share, the head is immutable); owns the
 * embedder: close it.
 */
public final class TextClassifier implements AutoCloseable {
    /** One label and its calibrated probability, for top-k lists. */
    public record Ranked(String label, double probability) {
    }

    private final Path dir;
    private final SoftmaxClassifier head;
    private final BertEmbedder embedder;
    private final DistanceScore distance;

    private TextClassifier(Path dir, SoftmaxClassifier head, BertEmbedder embedder, DistanceScore distance) {
        this.dir = dir;
        this.head = head;
        this.embedder = embedder;
        this.distance = distance;
    }

    /** Whether {@code dir} looks like a classifier directory (has {@code classifier.json}). */
    public static boolean isClassifierDir(Path dir) {
        return dir != null && Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(SoftmaxClassifier.FILE));
    }

    /**
     * Loads the head and opens its encoder on {@code threads} threads.
     *
     * @throws IOException when the directory is not a classifier or the head does not fit the encoder
     */
    public static TextClassifier open(Path dir, int threads) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        SoftmaxClassifier head = SoftmaxClassifier.load(dir);
        DistanceScore distance = DistanceScore.load(dir);
        if (distance != null && distance.dimension() != head.dimension()) {
            throw new IOException(dir.resolve(DistanceScore.FILE) + ": " + distance.dimension() + "-dimensional, the head is "
                    + head.dimension() + "-dimensional");
        }
        BertEmbedder e = Embedders.open(encoderOf(dir, head), threads);
        if (e.dimension() != head.dimension()) {
            e.close();
            throw new IOException(dir + ": the head expects " + head.dimension() + "-dimensional embeddings, encoder '"
                    + head.encoder() + "' gives " + e.dimension());
        }
        return new TextClassifier(dir, head, e, distance);
    }

    /** The head's encoder: a fine-tuned one saved inside the classifier directory, else a built-in name or path. */
    public static String encoderOf(Path dir, SoftmaxClassifier head) {
        Path inside = dir.resolve(head.encoder());
        return Files.isDirectory(inside) ? inside.toString() : head.encoder();
    }

    public Path dir() {
        return dir;
    }

    public SoftmaxClassifier head() {
        return head;
    }

    public BertEmbedder embedder() {
        return embedder;
    }

    public List<String> labels() {
        return head.labels();
    }

    /** The embedding-distance model ({@code distance.json}), or null when the directory has none. */
    public DistanceScore distance() {
        return distance;
    }

    /** Predictions for {@code texts}, in order (embedded in batches of {@link BertEmbedder#BATCH}). */
    public List<SoftmaxClassifier.Prediction> predict(List<String> texts) {
        List<SoftmaxClassifier.Prediction> out = new ArrayList<>(texts.size());
        for (float[] v : embedder.embed(texts)) {
            SoftmaxClassifier.Prediction p = head.predict(v);
            out.add(distance == null ? p : p.withDistanceConfidence(distance.confidence(v)));
        }
        return out;
    }

    /** The prediction for one text. */
    public SoftmaxClassifier.Prediction predict(String text) {
        return predict(List.of(text)).getFirst();
    }

    /** Tokens the encoder sees for {@code text} ([CLS] and [SEP] included, after truncation). */
    public int countTokens(String text) {
        return embedder.countTokens(text);
    }

    /** The raw best label (before the out-of-scope threshold), whatever {@link SoftmaxClassifier.Prediction#label()} says. */
    public String bestLabel(SoftmaxClassifier.Prediction p) {
        return head.labels().get(SoftmaxClassifier.argmax(p.probabilities()));
    }

    /** Whether the head is multi-label (a sigmoid per label; see {@link SoftmaxClassifier}). */
    public boolean multiLabel() {
        return head.multiLabel();
    }

    /** A multi-label head's answer: every label at or above its threshold, most likely first (empty for a single-label head). */
    public List<Ranked> answered(SoftmaxClassifier.Prediction p) {
        if (!head.multiLabel()) {
            return List.of();
        }
        double[] pr = p.probabilities();
        return head.answered(pr).stream().map(i -> new Ranked(head.labels().get(i), pr[i])).toList();
    }

    /** The {@code k} most likely labels, most likely first (ties keep label order); k larger than the classes gives all. */
    public List<Ranked> top(SoftmaxClassifier.Prediction p, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must be >= 0, got " + k);
        }
        double[] pr = p.probabilities();
        Integer[] idx = new Integer[pr.length];
        Arrays.setAll(idx, i -> i);
        Arrays.sort(idx, (a, b) -> Double.compare(pr[b], pr[a]));
        List<Ranked> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, idx.length); i++) {
            out.add(new Ranked(head.labels().get(idx[i]), pr[idx[i]]));
        }
        return out;
    }

    @Override
    public void close() {
        embedder.close();
    }
}
