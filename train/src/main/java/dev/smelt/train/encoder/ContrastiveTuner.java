package dev.smelt.train.encoder;

import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import dev.smelt.train.optim.LrSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The contrastive stage of SetFit (Tunstall et al. 2022): sentence pairs drawn from the labelled examples (same
 * label: target cosine 1, different labels: 0), and the encoder fine-tuned so the cosine of each pair's pooled
 * vectors approaches its target ({@link Grad#cosineMse}). The classification head is trained afterwards on the
 * tuned embeddings ({@link SetFitTrain}); the model's own head is untouched here.
 *
 * <p>Why: with 10–50 examples per class, a softmax head fine-tuned together with the encoder sees few examples per
 * weight and overfits or underfits within a few epochs; pairs multiply the training signal (n·k pairs from n
 * examples) and shape the embedding space itself, where a linear head then separates the classes.
 *
 * <p>Steps run as in {@link EncoderFineTuner}: a batch of pairs is split into one group per thread with balanced
 * token counts (both sentences of a pair in the same group, each distinct sentence of a group encoded once), the
 * groups' gradients are summed in order, clipped, and AdamW (weight decay on matrices) steps with linear warm-up and
 * decay. Deterministic for a fixed seed and thread count. Not thread-safe.
 */
public final class ContrastiveTuner {
    /**
     * @param epochs          passes over the pairs
     * @param pairsPerExample pairs each training example starts: alternately a positive and a negative one
     * @param batchPairs      pairs per optimizer step
     * @param lr              peak learning rate
     */
    public record Options(int epochs, int pairsPerExample, int batchPairs, float lr, float warmupFraction, float weightDecay,
                          float dropout, float maxGradNorm, long seed) {
        public Options {
            if (epochs < 1 || pairsPerExample < 1 || batchPairs < 1) {
                throw new IllegalArgumentException("epochs " + epochs + ", pairs per example " + pairsPerExample + " and pairs per batch "
                        + batchPairs + " must be >= 1");
            }
            if (!(lr > 0) || !(warmupFraction >= 0 && warmupFraction < 1) || !(weightDecay >= 0) || !(dropout >= 0 && dropout < 1)
                    || !(maxGradNorm >= 0)) {
                throw new IllegalArgumentException("bad options: lr " + lr + ", warm-up " + warmupFraction + ", weight decay " + weightDecay
                        + ", dropout " + dropout + ", clip " + maxGradNorm);
            }
        }

        public Options withPairsPerExample(int p) {
            return new Options(epochs, p, batchPairs, lr, warmupFraction, weightDecay, dropout, maxGradNorm, seed);
        }
    }

    /** Most pairs per example {@link #pairsPerExample} chooses: SetFit's default (20 iterations of a positive and a negative). */
    public static final int MAX_PAIRS_PER_EXAMPLE = 40;

    /**
     * Pairs per example for {@code examples} training examples: at least {@code minPairs}, and enough for {@code minSteps}
     * optimizer steps of {@code batchPairs} pairs, at most {@link #MAX_PAIRS_PER_EXAMPLE}. Few examples need more pairs
     * each: with 18 examples and 4 pairs the stage is 5 steps, too few to move the encoder (SMS spam at 10 per class).
     */
    public static int pairsPerExample(int examples, int minPairs, int minSteps, int batchPairs) {
        if (examples < 1 || minPairs < 1 || minSteps < 0 || batchPairs < 1) {
            throw new IllegalArgumentException("examples " + examples + ", min pairs " + minPairs + ", min steps " + minSteps
                    + ", batch " + batchPairs);
        }
        long forSteps = ((long) minSteps * batchPairs + examples - 1) / examples;
        return (int) Math.max(minPairs, Math.min(MAX_PAIRS_PER_EXAMPLE, forSteps));
    }

    /** Pairs of example indices with their target cosines (1 same label, 0 different). */
    public record Pairs(int[] a, int[] b, float[] target) {
        public int size() {
            return a.length;
        }

        public int positives() {
            int n = 0;
            for (float t : target) {
                n += t > 0.5f ? 1 : 0;
            }
            return n;
        }
    }

    /** What the stage did: mean loss per epoch (over its pairs), pairs, steps, seconds. */
    public record Result(List<Double> trainLoss, int pairs, int positives, long steps, double seconds) {
    }

    private final TrainableBert model;
    private final Options opt;
    private final ThreadPool pool;
    private final EncoderFineTuner.Listener listener;

    public ContrastiveTuner(TrainableBert model, Options opt, ThreadPool pool, EncoderFineTuner.Listener listener) {
        if (model == null || opt == null || pool == null) {
            throw new IllegalArgumentException("model, options and pool must not be null");
        }
        this.model = model;
        this.opt = opt;
        this.pool = pool;
        this.listener = listener == null ? (s, t, l, e) -> { } : listener;
    }

    /**
     * SetFit's pair generation, bounded: each example of {@code train} starts {@code perExample} pairs, alternately with
     * another example of its label (positive; skipped when it is its label's only example) and with an example of a
     * different label (negative), partners drawn uniformly with {@code seed}. Balanced 1:1 whatever the class count.
     */
    public static Pairs pairs(int[] y, int[] train, int perExample, long seed) {
        Map<Integer, List<Integer>> byLabel = new LinkedHashMap<>();
        for (int i : train) {
            byLabel.computeIfAbsent(y[i], k -> new ArrayList<>()).add(i);
        }
        if (byLabel.size() < 2) {
            throw new IllegalArgumentException("contrastive pairs need at least 2 labels among the training examples, got " + byLabel.size());
        }
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int i : train) {
            List<Integer> same = byLabel.get(y[i]);
            for (int k = 0; k < perExample; k++) {
                if (k % 2 == 0) {
                    if (same.size() < 2) {
                        continue;
                    }
                    int j = same.get(r.nextInt(same.size() - 1));
                    if (j == i) {
                        j = same.get(same.size() - 1); // draw among the others: the last one stands in for i
                    }
                    out.add(new int[] {i, j, 1});
                } else {
                    int j;
                    do {
                        j = train[r.nextInt(train.length)];
                    } while (y[j] == y[i]);
                    out.add(new int[] {i, j, 0});
                }
            }
        }
        int[] a = out.stream().mapToInt(p -> p[0]).toArray();
        int[] b = out.stream().mapToInt(p -> p[1]).toArray();
        float[] t = new float[out.size()];
        for (int p = 0; p < t.length; p++) {
            t[p] = out.get(p)[2];
        }
        return new Pairs(a, b, t);
    }

    /** Fine-tunes the encoder on the pairs of {@code train} (indices into seqs / y). */
    public Result fit(int[][] seqs, int[] y, int[] train) {
        if (seqs.length != y.length) {
            throw new IllegalArgumentException(seqs.length + " sequences but " + y.length + " labels");
        }
        Pairs pairs = pairs(y, train, opt.pairsPerExample(), opt.seed());
        if (pairs.size() == 0) {
            throw new IllegalArgumentException("no contrastive pairs from " + train.length + " examples");
        }
        EncoderFineTuner.Optimizer optimizer = new EncoderFineTuner.Optimizer(model, opt.weightDecay(), 1f);
        int stepsPerEpoch = (pairs.size() + opt.batchPairs() - 1) / opt.batchPairs();
        int total = stepsPerEpoch * opt.epochs();
        LrSchedule sched = new LrSchedule(LrSchedule.Kind.LINEAR, opt.lr(), (int) Math.round(total * opt.warmupFraction()), total);
        Tensor[][] views = new Tensor[pool.threads()][];
        for (int g = 0; g < views.length; g++) {
            views[g] = model.view();
        }
        SplittableRandom rnd = new SplittableRandom(opt.seed() + 7);
        int[] order = new int[pairs.size()];
        Arrays.setAll(order, i -> i);
        List<Double> losses = new ArrayList<>();
        long step = 0;
        long t0 = System.nanoTime();
        for (int epoch = 0; epoch < opt.epochs(); epoch++) {
            EncoderFineTuner.shuffle(order, rnd);
            double sum = 0;
            for (int s = 0; s < order.length; s += opt.batchPairs()) {
                int[] batch = Arrays.copyOfRange(order, s, Math.min(order.length, s + opt.batchPairs()));
                double loss = step(seqs, pairs, batch, views, step);
                sum += loss * batch.length;
                optimizer.step(pool, views[0], sched.at(step));
                step++;
                listener.step(step, total, loss, step * (double) opt.batchPairs() / ((System.nanoTime() - t0) / 1e9));
            }
            losses.add(sum / order.length);
            listener.epoch(epoch + 1, sum / order.length, Double.NaN, Double.NaN);
        }
        return new Result(losses, pairs.size(), pairs.positives(), step, (System.nanoTime() - t0) / 1e9);
    }

    /** One batch of pairs forward and backward; leaves the summed, clipped gradient in views[0]; returns the mean loss. */
    private double step(int[][] seqs, Pairs pairs, int[] batch, Tensor[][] views, long step) {
        // balance the groups by the tokens of both sentences of each pair
        int[][] pairLen = new int[pairs.size()][];
        for (int p : batch) {
            pairLen[p] = new int[seqs[pairs.a()[p]].length + seqs[pairs.b()[p]].length];
        }
        int[][] parts = EncoderFineTuner.split(pairLen, batch, views.length);
        TrainableBert.Packed packed = model.pack(pool);
        double[] loss = new double[parts.length];
        pool.parallelFor(parts.length, g -> {
            Tensor[] v = views[g];
            for (Tensor t : v) {
                Arrays.fill(t.grad(), 0f);
            }
            if (parts[g].length == 0) {
                return;
            }
            Map<Integer, Integer> row = new LinkedHashMap<>(); // example index → row among this group's sentences
            int n = parts[g].length;
            int[] a = new int[n];
            int[] b = new int[n];
            float[] t = new float[n];
            for (int i = 0; i < n; i++) {
                int p = parts[g][i];
                a[i] = row.computeIfAbsent(pairs.a()[p], k -> row.size());
                b[i] = row.computeIfAbsent(pairs.b()[p], k -> row.size());
                t[i] = pairs.target()[p];
            }
            int[][] s = row.keySet().stream().map(k -> seqs[k]).toArray(int[][]::new);
            try (ThreadPool inline = new ThreadPool(1)) {
                Tape tape = new Tape(inline, true);
                long seed = opt.seed() * 1_000_003L + step * 64 + g * 16L;
                Tensor pooled = model.encode(tape, v, packed, s, opt.dropout(), seed);
                Grad.Loss l = Grad.cosineMse(tape, pooled, a, b, t, batch.length);
                l.tensor().accumulateGrad(new float[] {1f});
                tape.backward();
                loss[g] = l.sum();
            }
        });
        EncoderFineTuner.reduceAndClip(pool, views, opt.maxGradNorm());
        double sum = 0;
        for (double l : loss) {
            sum += l;
        }
        return sum / batch.length;
    }
}
