package dev.smelt.train.classify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.Abstention;
import dev.smelt.model.classify.DistanceScore;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.train.optim.AdamW;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Trains a {@link SoftmaxClassifier} on frozen embeddings: multinomial logistic regression with L2 weight
 * penalty, mini-batch Adam (the trainer's {@link AdamW}), a stratified validation split, early stopping on validation loss (best epoch
 * kept), temperature scaling fitted on the validation set, and an out-of-scope threshold. Deterministic for
 * a seed. Not thread-safe (one training run per instance).
 */
public final class LogisticTrainer {
    /** Training knobs; {@code abstention} says when the head answers "unknown" (see {@link Abstention}). */
    public record Options(double validationFraction, int maxEpochs, int patience, int batchSize, double learningRate,
                          double l2, long seed, Abstention abstention) {
        public Options {
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
            }
            if (maxEpochs < 1 || patience < 1 || batchSize < 1) {
                throw new IllegalArgumentException("epochs, patience and batch size must be >= 1, got " + maxEpochs + ", "
                        + patience + ", " + batchSize);
            }
            if (!(learningRate > 0) || l2 < 0 || abstention == null) {
                throw new IllegalArgumentException("need learning rate > 0, l2 >= 0, an abstention; got " + learningRate
                        + ", " + l2 + ", " + abstention);
            }
        }

        public static Options defaults() {
            return new Options(0.1, 200, 8, 64, 3e-3, 1e-4, 42, Abstention.none());
        }
    }

    /** A trained head and the embedding-distance out-of-scope score fitted on the same embeddings. */
    public record Fitted(SoftmaxClassifier head, DistanceScore distance) {
    }

    private final Options opt;
    private final IntConsumer onEpoch;

    /** @param onEpoch called with each finished epoch number (progress display) */
    public LogisticTrainer(Options opt, IntConsumer onEpoch) {
        this.opt = opt;
        this.onEpoch = onEpoch == null ? e -> { } : onEpoch;
    }

    /**
     * @param x      [examples][dim] embeddings
     * @param labels label of each example
     */
    public SoftmaxClassifier train(String encoder, float[][] x, List<String> labels) {
        return fit(encoder, x, labels).head();
    }

    /**
     * Trains on the in-scope examples (those not of the abstention's out-of-scope label), fits the temperature and
     * the threshold on the validation split (and the out-of-scope examples), and the distance score.
     */
    public Fitted fit(String encoder, float[][] x, List<String> labels) {
        if (x.length != labels.size() || x.length < 2) {
            throw new IllegalArgumentException("need >= 2 examples with one label each, got " + x.length + " and " + labels.size());
        }
        Abstention ab = opt.abstention();
        List<float[]> inX = new ArrayList<>();
        List<String> inL = new ArrayList<>();
        List<float[]> oosX = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            (ab.isOos(labels.get(i)) ? oosX : inX).add(x[i]);
            if (!ab.isOos(labels.get(i))) {
                inL.add(labels.get(i));
            }
        }
        x = inX.toArray(float[][]::new);
        List<String> names = inL.stream().distinct().sorted().toList();
        if (names.size() < 2) {
            throw new IllegalArgumentException("need at least 2 distinct in-scope labels, got " + names);
        }
        int[] y = inL.stream().mapToInt(names::indexOf).toArray();
        int[][] split = stratifiedSplit(y, names.size());
        int[] train = split[0];
        int[] val = split[1];
        int d = x[0].length;
        int c = names.size();
        float[] w = new float[c * d];
        float[] b = new float[c];
        long t0 = System.nanoTime();
        float[][] inScope = x;
        HeadFit fit = fitHead(opt, inScope, train, w, b, c, (row, z) -> {
            double[] p = SoftmaxClassifier.softmax(z, 1.0);
            p[y[row]] -= 1; // d NLL / d z = softmax(z) − onehot(y)
            return p;
        }, (hw, hb) -> loss(inScope, y, val, hw, hb, c, 1.0), onEpoch);
        float[] bestW = fit.w();
        float[] bestB = fit.b();
        double best = fit.loss();
        int bestEpoch = fit.bestEpoch();
        int epoch = fit.epochs();
        double temperature = fitTemperature(x, y, val, bestW, bestB, c);
        SoftmaxClassifier raw = new SoftmaxClassifier(encoder, names, bestW, bestB, temperature, 0, null);
        float[][] xx = x;
        float[][] valX = java.util.stream.IntStream.of(val).mapToObj(i -> xx[i]).toArray(float[][]::new);
        int[] valY = java.util.stream.IntStream.of(val).map(i -> y[i]).toArray();
        double threshold = fitThreshold(ab, raw, valX, valY, oosX.toArray(float[][]::new), (double) oosX.size() / labels.size());
        ObjectNode m = new ObjectMapper().createObjectNode();
        m.put("train_examples", train.length).put("validation_examples", val.length).put("epochs", epoch)
                .put("best_epoch", bestEpoch + 1).put("validation_loss", best)
                .put("validation_loss_calibrated", loss(x, y, val, bestW, bestB, c, temperature))
                .put("validation_accuracy", accuracy(raw, x, y, val)).put("temperature", temperature)
                .put("threshold", threshold).put("train_seconds", (System.nanoTime() - t0) / 1e9)
                .put("learning_rate", opt.learningRate()).put("l2", opt.l2()).put("seed", opt.seed());
        m.set("abstention", ab.json(threshold, oosX.size()));
        float[][] trX = java.util.stream.IntStream.of(train).mapToObj(i -> xx[i]).toArray(float[][]::new);
        int[] trY = java.util.stream.IntStream.of(train).map(i -> y[i]).toArray();
        DistanceScore dist = DistanceScore.fit(trX, trY, c, valX);
        return new Fitted(new SoftmaxClassifier(encoder, names, bestW, bestB, temperature, threshold, m), dist);
    }

    /**
     * The threshold {@code ab} sets for head {@code raw} (temperature already fitted): from the top probabilities of
     * the in-scope validation embeddings {@code valX} (labels {@code valY}) and the out-of-scope ones {@code oosX}.
     *
     * @param oosPrior share of out-of-scope examples in the training data
     */
    public static double fitThreshold(Abstention ab, SoftmaxClassifier raw, float[][] valX, int[] valY, float[][] oosX, double oosPrior) {
        double[] inTop = new double[valX.length];
        boolean[] ok = new boolean[valX.length];
        for (int i = 0; i < valX.length; i++) {
            double[] p = raw.probabilities(valX[i]);
            int best = SoftmaxClassifier.argmax(p);
            inTop[i] = p[best];
            ok[i] = best == valY[i];
        }
        double[] oosTop = new double[oosX.length];
        for (int i = 0; i < oosX.length; i++) {
            double[] p = raw.probabilities(oosX[i]);
            oosTop[i] = p[SoftmaxClassifier.argmax(p)];
        }
        return ab.fit(inTop, ok, oosTop, oosPrior);
    }

    int[][] stratifiedSplit(int[] y, int classes) {
        return stratifiedSplit(y, classes, opt.validationFraction(), opt.seed());
    }

    /**
     * Per class, a validation share (at least one when the class has two or more examples), seeded.
     *
     * @return {train indices, validation indices}
     */
    public static int[][] stratifiedSplit(int[] y, int classes, double validationFraction, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<List<Integer>> by = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            by.add(new ArrayList<>());
        }
        for (int i = 0; i < y.length; i++) {
            by.get(y[i]).add(i);
        }
        List<Integer> tr = new ArrayList<>();
        List<Integer> va = new ArrayList<>();
        for (List<Integer> idx : by) {
            int[] a = idx.stream().mapToInt(Integer::intValue).toArray();
            shuffle(a, r);
            int nv = a.length < 2 || validationFraction == 0 ? 0 : Math.max(1, (int) Math.round(a.length * validationFraction));
            for (int i = 0; i < a.length; i++) {
                (i < nv ? va : tr).add(a[i]);
            }
        }
        return new int[][] {tr.stream().mapToInt(Integer::intValue).toArray(), va.stream().mapToInt(Integer::intValue).toArray()};
    }

    /** The early-stopped head: the weights of the epoch with the lowest validation loss. */
    record HeadFit(float[] w, float[] b, double loss, int bestEpoch, int epochs) {}

    /** The validation loss of a head [c, d] + bias [c]. */
    interface HeadLoss {
        double of(float[] w, float[] b);
    }

    /**
     * Mini-batch training of a linear head from (w, b) under a per-example logit gradient, stopping once
     * {@code patience} finished epochs in a row failed to lower the validation loss (Keras' meaning).
     * L2 stays coupled (added to the gradient, weights only, as the head has always been trained), so
     * AdamW runs without decoupled decay: it is then plain Adam over the two arrays [w, b].
     */
    static HeadFit fitHead(Options opt, float[][] x, int[] train, float[] w, float[] b, int c, LogitGradient grad,
            HeadLoss validation, IntConsumer onEpoch) {
        int d = x[0].length;
        float[] bestW = w.clone();
        float[] bestB = b.clone();
        double best = Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        AdamW adam = new AdamW(new int[] {w.length, b.length}, 0f);
        SplittableRandom rnd = new SplittableRandom(opt.seed() + 1);
        int epoch = 0;
        for (; epoch < opt.maxEpochs() && epoch - 1 - bestEpoch < opt.patience(); epoch++) {
            shuffle(train, rnd);
            for (int s = 0; s < train.length; s += opt.batchSize()) {
                headStep(opt, x, train, s, Math.min(train.length, s + opt.batchSize()), w, b, c, d, adam, grad);
            }
            double vl = validation.of(w, b);
            if (vl < best) {
                best = vl;
                bestEpoch = epoch;
                System.arraycopy(w, 0, bestW, 0, w.length);
                System.arraycopy(b, 0, bestB, 0, b.length);
            }
            onEpoch.accept(epoch + 1);
        }
        return new HeadFit(bestW, bestB, best, bestEpoch, epoch);
    }

    /** d loss / d logits of one example (row = its index in x), before the batch mean. */
    interface LogitGradient {
        double[] of(int row, double[] logits);
    }

    /**
     * One mini-batch Adam step of a linear head [c, d] + bias [c] under any per-example logit gradient
     * (softmax NLL here, per-label sigmoid BCE in {@link MultiLabelTrainer}); L2 on w only.
     */
    static void headStep(Options opt, float[][] x, int[] idx, int from, int to, float[] w, float[] b, int c, int d,
            AdamW adam, LogitGradient grad) {
        float[] gw = new float[w.length];
        float[] gb = new float[b.length];
        int n = to - from;
        for (int k = from; k < to; k++) {
            float[] e = x[idx[k]];
            double[] g = grad.of(idx[k], SoftmaxClassifier.logits(w, b, e, c));
            for (int j = 0; j < c; j++) {
                float gj = (float) (g[j] / n);
                gb[j] += gj;
                for (int i = 0; i < d; i++) {
                    gw[j * d + i] += gj * e[i];
                }
            }
        }
        for (int i = 0; i < w.length; i++) {
            gw[i] += (float) (opt.l2() * w[i]);
        }
        float lr = (float) opt.learningRate();
        adam.beginStep();
        adam.update(0, w, gw, lr);
        adam.update(1, b, gb, lr);
    }

    /** Mean negative log-likelihood at temperature t. */
    public static double loss(float[][] x, int[] y, int[] idx, float[] w, float[] b, int c, double t) {
        double s = 0;
        for (int i : idx) {
            double[] p = SoftmaxClassifier.softmax(SoftmaxClassifier.logits(w, b, x[i], c), t);
            s -= Math.log(Math.max(p[y[i]], 1e-300));
        }
        return s / Math.max(1, idx.length);
    }

    /**
     * Golden-section search of log T in [ln 0.05, ln 20] minimizing validation NLL (Guo et al. 2017). When every
     * validation example is already right, NLL only falls as T shrinks, so the search would run to its bound and
     * report near-certainty for anything (seen with 10 validation rows: T = 0.05, an off-topic query at 0.97): then
     * there is no evidence to rescale and T stays 1.
     */
    public static double fitTemperature(float[][] x, int[] y, int[] val, float[] w, float[] b, int c) {
        if (val.length == 0 || allRight(x, y, val, w, b, c)) {
            return 1.0;
        }
        double lo = Math.log(0.05), hi = Math.log(20);
        double g = (Math.sqrt(5) - 1) / 2;
        double a = hi - g * (hi - lo), bb = lo + g * (hi - lo);
        double fa = loss(x, y, val, w, b, c, Math.exp(a)), fb = loss(x, y, val, w, b, c, Math.exp(bb));
        for (int it = 0; it < 40; it++) {
            if (fa < fb) {
                hi = bb;
                bb = a;
                fb = fa;
                a = hi - g * (hi - lo);
                fa = loss(x, y, val, w, b, c, Math.exp(a));
            } else {
                lo = a;
                a = bb;
                fa = fb;
                bb = lo + g * (hi - lo);
                fb = loss(x, y, val, w, b, c, Math.exp(bb));
            }
        }
        return Math.exp((lo + hi) / 2);
    }

    private static boolean allRight(float[][] x, int[] y, int[] val, float[] w, float[] b, int c) {
        for (int i : val) {
            if (SoftmaxClassifier.argmax(SoftmaxClassifier.logits(w, b, x[i], c)) != y[i]) {
                return false;
            }
        }
        return true;
    }

    public static double accuracy(SoftmaxClassifier head, float[][] x, int[] y, int[] idx) {
        int ok = 0;
        for (int i : idx) {
            ok += SoftmaxClassifier.argmax(head.probabilities(x[i])) == y[i] ? 1 : 0;
        }
        return idx.length == 0 ? Double.NaN : (double) ok / idx.length;
    }

    static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
