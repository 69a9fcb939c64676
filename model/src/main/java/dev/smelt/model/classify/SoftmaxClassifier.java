package dev.smelt.model.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A linear softmax head over frozen sentence embeddings: p = softmax((W·e + b) / T), with T the temperature
 * fitted on validation data (calibration) and an out-of-scope threshold: when the top probability is below it,
 * the prediction is {@link #UNKNOWN}. Stored as {@code classifier.json} in a model directory. Immutable,
 * thread-safe.
 *
 * <p>With {@code multiLabel} the same linear layer is a multi-label head: one sigmoid per label,
 * p_j = σ((W·e + b)_j / T), independent (they need not sum to 1); every label with p_j ≥ {@code threshold} is
 * answered (possibly none), {@link Prediction#label()} is the most likely of them, or {@link #NONE} when none
 * reaches it. Stored with format {@code smelt-sigmoid-head/1}.
 *
 * @param encoder     embedding model the head was trained on (built-in name or path)
 * @param labels      class names, index = row of W
 * @param weights     [labels, dim]
 * @param bias        [labels]
 * @param temperature calibration temperature (> 0)
 * @param threshold   minimum top probability for an in-scope answer (0 disables)
 * @param metrics     training report (accuracies, losses, timings), stored for reference
 * @param multiLabel  sigmoid per label (threshold: the decision threshold of each) instead of softmax
 */
public record SoftmaxClassifier(String encoder, List<String> labels, float[] weights, float[] bias, double temperature,
                                double threshold, ObjectNode metrics, boolean multiLabel) {
    /** Label answered below the threshold. */
    public static final String UNKNOWN = "unknown";
    /** A multi-label head's label when no label reaches the threshold (the empty label set). */
    public static final String NONE = "";
    static final String FORMAT = "smelt-softmax-head/1";
    static final String MULTI_LABEL_FORMAT = "smelt-sigmoid-head/1";
    static final String FILE = "classifier.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public SoftmaxClassifier {
        if (labels.isEmpty() || weights.length % labels.size() != 0 || bias.length != labels.size()) {
            throw new IllegalArgumentException("shapes do not match: " + labels.size() + " labels, " + weights.length
                    + " weights, " + bias.length + " biases");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        labels = List.copyOf(labels);
    }

    /** A single-label (softmax) head. */
    public SoftmaxClassifier(String encoder, List<String> labels, float[] weights, float[] bias, double temperature, double threshold,
                             ObjectNode metrics) {
        this(encoder, labels, weights, bias, temperature, threshold, metrics, false);
    }

    public int dimension() {
        return weights.length / labels.size();
    }

    /**
     * One prediction: label (or {@link #UNKNOWN}), its calibrated probability, every class's probability, and the
     * embedding-distance confidence ({@link DistanceScore#confidence}; NaN when the classifier has no distance model).
     */
    public record Prediction(String label, double probability, double[] probabilities, double distanceConfidence) {
        public Prediction(String label, double probability, double[] probabilities) {
            this(label, probability, probabilities, Double.NaN);
        }

        public Prediction withDistanceConfidence(double c) {
            return new Prediction(label, probability, probabilities, c);
        }
    }

    /** Calibrated class probabilities of one embedding. */
    public double[] probabilities(float[] embedding) {
        if (embedding.length != dimension()) {
            throw new IllegalArgumentException("embedding has " + embedding.length + " values, the head expects " + dimension());
        }
        double[] z = logits(weights, bias, embedding, labels.size());
        return multiLabel ? sigmoid(z, temperature) : softmax(z, temperature);
    }

    public Prediction predict(float[] embedding) {
        double[] p = probabilities(embedding);
        int best = argmax(p);
        String below = multiLabel ? NONE : UNKNOWN;
        return new Prediction(p[best] < threshold ? below : labels.get(best), p[best], p);
    }

    /** Indices of the labels a multi-label head answers for probabilities {@code p}: p ≥ threshold, most likely first. */
    public List<Integer> answered(double[] p) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            if (p[i] >= threshold) {
                out.add(i);
            }
        }
        out.sort((a, b) -> Double.compare(p[b], p[a]));
        return out;
    }

    /** σ(z_i / t) per element, computed without overflow for large |z|. */
    public static double[] sigmoid(double[] z, double t) {
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = sigmoid(z[i] / t);
        }
        return p;
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    public static double[] logits(float[] w, float[] b, float[] e, int classes) {
        int d = e.length;
        double[] z = new double[classes];
        for (int c = 0; c < classes; c++) {
            double s = b[c];
            for (int i = 0; i < d; i++) {
                s += w[c * d + i] * e[i];
            }
            z[c] = s;
        }
        return z;
    }

    public static double[] softmax(double[] z, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp((z[i] - max) / t);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    public static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Writes {@code dir/classifier.json} (to a temporary file first, then renamed). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode o = JSON.createObjectNode().put("format", multiLabel ? MULTI_LABEL_FORMAT : FORMAT).put("encoder", encoder)
                .put("dimension", dimension()).put("temperature", temperature).put("threshold", threshold);
        ArrayNode l = o.putArray("labels");
        labels.forEach(l::add);
        ArrayNode w = o.putArray("weights");
        for (float f : weights) {
            w.add(f);
        }
        ArrayNode b = o.putArray("bias");
        for (float f : bias) {
            b.add(f);
        }
        if (metrics != null && metrics.has("abstention")) {
            o.set("abstention", metrics.get("abstention")); // how the threshold was set, beside it
        }
        if (metrics != null && metrics.has("threshold_source")) {
            o.set("threshold_source", metrics.get("threshold_source")); // a multi-label head's: "default", "fitted" or "user"
        }
        o.set("metrics", metrics == null ? JSON.createObjectNode() : metrics);
        AtomicFiles.writeString(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    }

    /** Reads {@code dir/classifier.json}; errors name the file and field. */
    public static SoftmaxClassifier load(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            throw new IOException(dir + ": not a classifier directory (no " + FILE + "; train one with smelt classify-train)");
        }
        JsonNode o;
        try {
            o = JSON.readTree(f.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(f + ": malformed JSON: " + e.getOriginalMessage());
        }
        String format = o.path("format").asText();
        if (!format.equals(FORMAT) && !format.equals(MULTI_LABEL_FORMAT)) {
            throw new IOException(f + ": field 'format' is '" + format + "', expected '" + FORMAT + "' or '" + MULTI_LABEL_FORMAT + "'");
        }
        List<String> labels = new ArrayList<>();
        o.path("labels").forEach(n -> labels.add(n.asText()));
        float[] w = floats(o, "weights", f);
        float[] b = floats(o, "bias", f);
        try {
            return new SoftmaxClassifier(o.path("encoder").asText(), labels, w, b, o.path("temperature").asDouble(1),
                    o.path("threshold").asDouble(0), (ObjectNode) o.path("metrics"), format.equals(MULTI_LABEL_FORMAT));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IOException(f + ": " + e.getMessage());
        }
    }

    private static float[] floats(JsonNode o, String field, Path f) throws IOException {
        JsonNode a = o.get(field);
        if (a == null || !a.isArray()) {
            throw new IOException(f + ": field '" + field + "' is missing or not an array");
        }
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) a.get(i).asDouble();
        }
        return v;
    }
}
