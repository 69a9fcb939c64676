package dev.smelt.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.model.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Binary logistic regression p(y=1|x) = σ(w·x + b), trained by full-batch gradient descent on the mean
 * log-loss with L2 regularization (deterministic: zero init, fixed step count). Sized for router
 * training sets (thousands of examples, hundreds to a few thousand dimensions). Immutable after training;
 * thread-safe. File form: JSON {"dim", "bias", "weights": [...], "features": NAME}.
 */
public final class LogisticRegression {
    private final float[] w; // [dim]
    private final double b;
    private final String features;

    public LogisticRegression(float[] weights, double bias, String features) {
        this.w = weights.clone();
        this.b = bias;
        this.features = features;
    }

    public int dim() {
        return w.length;
    }

    /** Name of the embedding the weights expect (checked when loading a router). */
    public String features() {
        return features;
    }

    public double probability(float[] x) {
        if (x.length != w.length) {
            throw new IllegalArgumentException("embedding has " + x.length + " dimensions, the router model expects " + w.length);
        }
        double z = b;
        for (int i = 0; i < w.length; i++) {
            z += w[i] * x[i];
        }
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * @param x  [n][dim] features
     * @param y  labels 0/1
     * @param l2 regularization strength (per mean loss)
     */
    public static LogisticRegression train(float[][] x, boolean[] y, double l2, int steps, double learningRate, String features) {
        int n = x.length;
        if (n == 0 || y.length != n) {
            throw new IllegalArgumentException("need as many labels as examples (and at least one), got " + n + " and " + y.length);
        }
        int d = x[0].length;
        double[] w = new double[d];
        double b = 0;
        double[] g = new double[d];
        float[] wf = new float[d];
        for (int step = 0; step < steps; step++) {
            java.util.Arrays.fill(g, 0);
            double gb = 0;
            for (int i = 0; i < n; i++) {
                double z = b;
                float[] xi = x[i];
                for (int j = 0; j < d; j++) {
                    z += w[j] * xi[j];
                }
                double err = 1 / (1 + Math.exp(-z)) - (y[i] ? 1 : 0);
                for (int j = 0; j < d; j++) {
                    g[j] += err * xi[j];
                }
                gb += err;
            }
            for (int j = 0; j < d; j++) {
                w[j] -= learningRate * (g[j] / n + l2 * w[j]);
            }
            b -= learningRate * gb / n;
        }
        for (int j = 0; j < d; j++) {
            wf[j] = (float) w[j];
        }
        return new LogisticRegression(wf, b, features);
    }

    public void save(Path file) throws IOException {
        ObjectNode o = Canonical.JSON.createObjectNode().put("dim", w.length).put("bias", b).put("features", features);
        var a = o.putArray("weights");
        for (float v : w) {
            a.add(v);
        }
        AtomicFiles.writeString(file, o.toString());
    }

    public static LogisticRegression load(Path file) throws IOException {
        JsonNode o;
        try {
            o = Canonical.JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not a router model (JSON): " + e.getOriginalMessage());
        }
        JsonNode ws = o.path("weights");
        if (!ws.isArray() || o.path("dim").asInt(-1) != ws.size() || !o.path("bias").isNumber()) {
            throw new IOException(file + ": not a router model (needs 'dim', 'bias' and 'weights' of length dim)");
        }
        float[] w = new float[ws.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ws.get(i).asDouble();
        }
        return new LogisticRegression(w, o.get("bias").asDouble(), o.path("features").asText("hashed-ngrams"));
    }
}
