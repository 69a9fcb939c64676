package dev.smelt.train.classify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.MultiLabelScore;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.train.autograd.Grad;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Trains a multi-label head ({@link SoftmaxClassifier} with {@code multiLabel}) on frozen embeddings: one sigmoid per
 * label, binary cross-entropy (scikit-learn's one-vs-rest logistic regression, Hugging Face's
 * {@code problem_type="multi_label_classification"}), L2 on the weights, mini-batch Adam, a seeded random validation
 * split (stratifying by label set does not apply: most sets are unique), early stopping on the validation loss with the
 * best epoch kept, and the decision threshold: given, or fitted on the validation split to maximize micro-F1.
 * Deterministic for a seed. Not thread-safe (one training run per instance).
 */
public final class MultiLabelTrainer {
    /** The threshold every label is answered at unless fitted or given (a calibrated sigmoid's even odds). */
    public static final double DEFAULT_THRESHOLD = 0.5;
    /** Candidate thresholds of the micro-F1 fit: 0.05, 0.06, … 0.95. */
    static final double FIT_LO = 0.05;
    static final double FIT_HI = 0.95;
    static final double FIT_STEP = 0.01;

    /**
     * How the decision threshold is set: {@code fit} on the validation split (micro-F1), else {@code value} ({@code source}
     * "default" or "user", as recorded in classifier.json's threshold_source).
     */
    public record Threshold(boolean fit, double value, String source) {
        public static Threshold byDefault() {
            return new Threshold(false, DEFAULT_THRESHOLD, "default");
        }

        public static Threshold fitted() {
            return new Threshold(true, DEFAULT_THRESHOLD, "fitted");
        }

        public static Threshold user(double p) {
            if (!(p > 0 && p < 1)) {
                throw new IllegalArgumentException("--threshold must be in (0, 1) or 'fit', got " + p);
            }
            return new Threshold(false, p, "user");
        }

        /**
         * Parses {@code --threshold}: {@code fit} (also the default, null) fits it, else a number in (0, 1). Fitted by
         * default: on NLU++ at 1/20 of the data the fitted threshold beat 0.5 by 4 to 24 micro-F1 points
         * (docs/BENCHMARKS.md); {@code --threshold 0.5} gives scikit-learn's rule.
         */
        public static Threshold parse(String s) {
            if (s == null) {
                return fitted();
            }
            if (s.equalsIgnoreCase("fit")) {
                return fitted();
            }
            try {
                return user(Double.parseDouble(s));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--threshold must be a number in (0, 1) or 'fit', got '" + s + "'");
            }
        }
    }

    private final LogisticTrainer.Options opt;
    private final Threshold threshold;
    private final IntConsumer onEpoch;

    /** @param opt the head's options (the abstention is not used: the empty label set is a multi-label head's "none") */
    public MultiLabelTrainer(LogisticTrainer.Options opt, Threshold threshold, IntConsumer onEpoch) {
        this.opt = opt;
        this.threshold = threshold;
        this.onEpoch = onEpoch == null ? e -> { } : onEpoch;
    }

    /** Gold matrix y[i][j] = example i carries label j. */
    public static boolean[][] targets(List<List<String>> sets, List<String> names) {
        boolean[][] y = new boolean[sets.size()][names.size()];
        for (int i = 0; i < y.length; i++) {
            for (String l : sets.get(i)) {
                int j = names.indexOf(l);
                if (j >= 0) {
                    y[i][j] = true;
                }
            }
        }
        return y;
    }

    /**
     * A seeded random split: round(n × fraction) validation examples, at least 1 when n ≥ 2 and fraction > 0.
     *
     * @return {train indices, validation indices}
     */
    public static int[][] randomSplit(int n, double fraction, long seed) {
        int[] a = java.util.stream.IntStream.range(0, n).toArray();
        LogisticTrainer.shuffle(a, new SplittableRandom(seed));
        int nv = n < 2 || fraction == 0 ? 0 : Math.max(1, (int) Math.round(n * fraction));
        int[] va = java.util.Arrays.copyOfRange(a, 0, nv);
        int[] tr = java.util.Arrays.copyOfRange(a, nv, n);
        java.util.Arrays.sort(va);
        java.util.Arrays.sort(tr);
        return new int[][] {tr, va};
    }

    /**
     * Each label's prior log-odds over the {@code train} examples, log(π/(1 − π)) with π = (count + 0.5)/(n + 1): the
     * bias a sigmoid head starts from (as RetinaNet's prior init). From 0, every one of dozens of rare labels starts at
     * p = 0.5 and the first epochs only learn that labels are rare: fine-tuning MiniLM on NLU++ banking (94 texts, 47
     * labels, 12 steps) ended with every probability below 0.5.
     */
    public static float[] priorLogOdds(boolean[][] y, int[] train, int labels) {
        float[] b = new float[labels];
        for (int j = 0; j < labels; j++) {
            int k = 0;
            for (int i : train) {
                k += y[i][j] ? 1 : 0;
            }
            double pi = (k + 0.5) / (train.length + 1.0);
            b[j] = (float) Math.log(pi / (1 - pi));
        }
        return b;
    }

    /**
     * @param x    [examples][dim] embeddings
     * @param sets each example's labels (may be empty)
     */
    public SoftmaxClassifier fit(String encoder, float[][] x, List<List<String>> sets) {
        if (x.length != sets.size() || x.length < 2) {
            throw new IllegalArgumentException("need >= 2 examples with one label set each, got " + x.length + " and " + sets.size());
        }
        List<String> names = sets.stream().flatMap(List::stream).distinct().sorted().toList();
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no example carries a label");
        }
        boolean[][] y = targets(sets, names);
        int[][] split = randomSplit(x.length, opt.validationFraction(), opt.seed());
        int[] train = split[0];
        int[] val = split[1];
        int d = x[0].length;
        int c = names.size();
        float[] w = new float[c * d];
        float[] b = priorLogOdds(y, train, c);
        long t0 = System.nanoTime();
        int[] scored = val.length == 0 ? train : val;
        LogisticTrainer.HeadFit fit = LogisticTrainer.fitHead(opt, x, train, w, b, c, (row, z) -> {
            // d BCE / d z = σ(z) − y: the loss is summed over labels and averaged over the batch
            double[] g = new double[c];
            for (int j = 0; j < c; j++) {
                g[j] = SoftmaxClassifier.sigmoid(z[j]) - (y[row][j] ? 1 : 0);
            }
            return g;
        }, (hw, hb) -> loss(x, y, scored, hw, hb, c), onEpoch);
        float[] bestW = fit.w();
        float[] bestB = fit.b();
        double best = fit.loss();
        int bestEpoch = fit.bestEpoch();
        int epoch = fit.epochs();
        SoftmaxClassifier raw = new SoftmaxClassifier(encoder, names, bestW, bestB, 1.0, DEFAULT_THRESHOLD, null, true);
        double[][] vp = probabilities(raw, x, val);
        boolean[][] vy = java.util.stream.IntStream.of(val).mapToObj(i -> y[i]).toArray(boolean[][]::new);
        ObjectNode m = new ObjectMapper().createObjectNode();
        m.put("multi_label", true).put("train_examples", train.length).put("validation_examples", val.length).put("epochs", epoch)
                .put("best_epoch", bestEpoch + 1).put("validation_loss", best).put("train_seconds", (System.nanoTime() - t0) / 1e9)
                .put("learning_rate", opt.learningRate()).put("l2", opt.l2()).put("seed", opt.seed()).put("split", "random");
        double th = decide(threshold, vp, vy, m);
        return new SoftmaxClassifier(encoder, names, bestW, bestB, 1.0, th, m, true);
    }

    /**
     * The decision threshold {@code t} sets from validation probabilities {@code vp} and gold {@code vy}; records it,
     * how it was set, and the validation micro-F1 at 0.5 and at it into {@code m}. Fitting without validation examples
     * keeps the default.
     */
    public static double decide(Threshold t, double[][] vp, boolean[][] vy, ObjectNode m) {
        double th = t.value();
        String source = t.source();
        if (t.fit() && vp.length > 0) {
            th = fitThreshold(vp, vy);
        } else if (t.fit()) {
            source = "default (no validation examples to fit on)";
        }
        m.put("threshold", th).put("threshold_source", source);
        if (vp.length > 0) {
            m.put("validation_micro_f1_at_0.5", MultiLabelScore.microF1(vp, vy, DEFAULT_THRESHOLD))
                    .put("validation_micro_f1", MultiLabelScore.microF1(vp, vy, th));
        }
        return th;
    }

    /** The candidate threshold (0.05…0.95 by 0.01) with the highest micro-F1; ties keep the one nearest 0.5. */
    public static double fitThreshold(double[][] p, boolean[][] y) {
        double best = DEFAULT_THRESHOLD;
        double bestF = MultiLabelScore.microF1(p, y, best);
        int steps = (int) Math.round((FIT_HI - FIT_LO) / FIT_STEP);
        for (int k = 0; k <= steps; k++) {
            double t = Math.round((FIT_LO + k * FIT_STEP) * 100) / 100.0; // 0.22, not 0.22000000000000003, in classifier.json
            double f = MultiLabelScore.microF1(p, y, t);
            if (f > bestF || (f == bestF && Math.abs(t - DEFAULT_THRESHOLD) < Math.abs(best - DEFAULT_THRESHOLD))) {
                best = t;
                bestF = f;
            }
        }
        return best;
    }

    static double[][] probabilities(SoftmaxClassifier head, float[][] x, int[] idx) {
        return java.util.stream.IntStream.of(idx).mapToObj(i -> head.probabilities(x[i])).toArray(double[][]::new);
    }

    /** Mean over examples of the binary cross-entropy summed over labels. */
    public static double loss(float[][] x, boolean[][] y, int[] idx, float[] w, float[] b, int c) {
        double s = 0;
        for (int i : idx) {
            double[] z = SoftmaxClassifier.logits(w, b, x[i], c);
            for (int j = 0; j < c; j++) {
                s += bce(z[j], y[i][j]);
            }
        }
        return s / Math.max(1, idx.length);
    }

    /** −log σ(z) for a positive, −log(1 − σ(z)) for a negative ({@link Grad#bceWithLogit}). */
    public static double bce(double z, boolean positive) {
        return Grad.bceWithLogit(z, positive ? 1 : 0);
    }
}
