package dev.smelt.train.encoder;

import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.autograd.Grad;
import dev.smelt.train.autograd.Tape;
import dev.smelt.train.autograd.Tensor;
import dev.smelt.train.optim.AdamW;
import dev.smelt.train.optim.LrSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Full fine-tuning of a {@link TrainableBert} for sequence classification: shuffled mini-batches of packed
 * sequences, softmax cross-entropy over the labels, AdamW (weight decay on matrices only) with linear warm-up
 * and linear decay, global gradient-norm clipping, validation loss and accuracy after every epoch, and early
 * stopping on the validation <em>loss</em> (mean NLL; the lowest-loss epoch's weights are restored at the end).
 * Loss rather than accuracy: on a few hundred validation examples accuracy moves in steps of 1/n and is noisy
 * (±1% on 500), so it stopped runs while the loss, which sees every example's confidence, was still falling.
 *
 * <p>Parallelism is data-parallel: each batch is split into one group per thread with balanced token counts;
 * each group runs forward and backward start to finish on its own thread (an inline pool, its own
 * parameter {@link TrainableBert#view() view} and gradients), and the gradients are summed in group order
 * (deterministic for a fixed thread count). One join per step instead of a dozen per layer, which matters on
 * a loaded machine where one descheduled worker stalls every parallel loop. Not thread-safe.
 */
public final class EncoderFineTuner {
    /**
     * @param epochs        most epochs (the schedule spans all of them)
     * @param batchSize     sequences per optimizer step
     * @param lr            peak learning rate of the encoder
     * @param headLrFactor  the freshly initialized head learns this many times faster
     * @param warmupFraction share of all steps spent warming up
     * @param weightDecay   AdamW decoupled decay of the matrices
     * @param dropout       hidden dropout (BERT's 0.1)
     * @param maxGradNorm   global gradient-norm clip (0 disables)
     * @param patience      epochs without a lower validation loss before stopping
     */
    public record Options(int epochs, int batchSize, float lr, float headLrFactor, float warmupFraction, float weightDecay,
                          float dropout, float maxGradNorm, int patience, long seed) {
        public Options {
            if (epochs < 1 || batchSize < 1 || patience < 1) {
                throw new IllegalArgumentException("epochs " + epochs + ", batch size " + batchSize + " and patience " + patience + " must be >= 1");
            }
            if (!(lr > 0) || !(headLrFactor > 0) || !(warmupFraction >= 0 && warmupFraction < 1) || !(weightDecay >= 0)
                    || !(dropout >= 0 && dropout < 1) || !(maxGradNorm >= 0)) {
                throw new IllegalArgumentException("bad options: lr " + lr + ", head factor " + headLrFactor + ", warm-up " + warmupFraction
                        + ", weight decay " + weightDecay + ", dropout " + dropout + ", clip " + maxGradNorm);
            }
        }

        public static Options defaults() {
            return new Options(4, 32, 1e-4f, 10f, 0.1f, 0.01f, 0.1f, 1f, 2, 42);
        }

        public Options withEpochs(int e) {
            return new Options(e, batchSize, lr, headLrFactor, warmupFraction, weightDecay, dropout, maxGradNorm, patience, seed);
        }

        public Options withLr(float l) {
            return new Options(epochs, batchSize, l, headLrFactor, warmupFraction, weightDecay, dropout, maxGradNorm, patience, seed);
        }

        public Options withSeed(long s) {
            return new Options(epochs, batchSize, lr, headLrFactor, warmupFraction, weightDecay, dropout, maxGradNorm, patience, s);
        }

        public Options withPatience(int p) {
            return new Options(epochs, batchSize, lr, headLrFactor, warmupFraction, weightDecay, dropout, maxGradNorm, p, seed);
        }

        public Options withBatchSize(int b) {
            return new Options(epochs, b, lr, headLrFactor, warmupFraction, weightDecay, dropout, maxGradNorm, patience, seed);
        }
    }

    /** Called after every optimizer step. */
    public interface Listener {
        void step(long step, long totalSteps, double loss, double examplesPerSecond);

        default void epoch(int epoch, double trainLoss, double valAccuracy, double valLoss) {
        }
    }

    /** What training did; the model holds the best (lowest validation loss) epoch's weights; bestEpoch counts from 1. */
    public record Result(int epochsRun, int bestEpoch, List<Double> valAccuracy, List<Double> valLoss, List<Double> trainLoss,
                         long steps, double seconds) {
    }

    private final TrainableBert model;
    private final Options opt;
    private final ThreadPool pool;
    private final Listener listener;

    public EncoderFineTuner(TrainableBert model, Options opt, ThreadPool pool, Listener listener) {
        if (model == null || opt == null || pool == null) {
            throw new IllegalArgumentException("model, options and pool must not be null");
        }
        this.model = model;
        this.opt = opt;
        this.pool = pool;
        this.listener = listener == null ? (s, t, l, e) -> { } : listener;
    }

    /**
     * @param seqs   every example's token ids ([CLS] … [SEP])
     * @param y      label index per example
     * @param train  indices trained on
     * @param val    indices validated on (may be empty: then every epoch counts as the best)
     */
    public Result fit(int[][] seqs, int[] y, int[] train, int[] val) {
        if (seqs.length != y.length) {
            throw new IllegalArgumentException(seqs.length + " sequences but " + y.length + " labels");
        }
        return fit(seqs, Objective.softmax(y), train, val);
    }

    /**
     * What the head's logits are trained against: softmax cross-entropy over one label, or (multi-label) a sigmoid
     * binary cross-entropy per label. Stateless over its targets.
     */
    public interface Objective {
        /** The loss of the logits of {@code members} (row r = example members[r]), summed and divided by {@code normalizer}. */
        Grad.Loss loss(Tape tape, Tensor logits, int[] members, double normalizer);

        /** {1 when right else 0, loss} of example {@code example} from its logits row {@code z[o .. o + c)}. */
        double[] score(float[] z, int o, int c, int example);

        /** Softmax cross-entropy against label index {@code y[i]}; right = the argmax is the label. */
        static Objective softmax(int[] y) {
            return new Objective() {
                @Override
                public Grad.Loss loss(Tape tape, Tensor logits, int[] members, double normalizer) {
                    return Grad.crossEntropy(tape, logits, java.util.stream.IntStream.of(members).map(i -> y[i]).toArray(), normalizer);
                }

                @Override
                public double[] score(float[] z, int o, int c, int example) {
                    int best = 0;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c; j++) {
                        if (z[o + j] > max) {
                            max = z[o + j];
                            best = j;
                        }
                    }
                    double s = 0;
                    for (int j = 0; j < c; j++) {
                        s += Math.exp(z[o + j] - max);
                    }
                    int target = y[example];
                    return new double[] {best == target ? 1 : 0, max + Math.log(s) - z[o + target]};
                }
            };
        }

        /** Binary cross-entropy per label against {@code y[i][j]}; right = every label on the right side of 0.5 (exact match). */
        static Objective multiLabel(boolean[][] y) {
            return new Objective() {
                @Override
                public Grad.Loss loss(Tape tape, Tensor logits, int[] members, double normalizer) {
                    int c = logits.cols;
                    float[] t = new float[members.length * c];
                    for (int r = 0; r < members.length; r++) {
                        for (int j = 0; j < c; j++) {
                            t[r * c + j] = y[members[r]][j] ? 1f : 0f;
                        }
                    }
                    return Grad.sigmoidBce(tape, logits, t, normalizer);
                }

                @Override
                public double[] score(float[] z, int o, int c, int example) {
                    boolean exact = true;
                    double loss = 0;
                    for (int j = 0; j < c; j++) {
                        exact &= (z[o + j] >= 0) == y[example][j];
                        loss += Grad.bceWithLogit(z[o + j], y[example][j] ? 1 : 0);
                    }
                    return new double[] {exact ? 1 : 0, loss};
                }
            };
        }
    }

    /** {@link #fit(int[][], int[], int[], int[])} against any {@link Objective} (multi-label: {@link Objective#multiLabel}). */
    public Result fit(int[][] seqs, Objective y, int[] train, int[] val) {
        if (train.length == 0) {
            throw new IllegalArgumentException("no training examples");
        }
        Optimizer optimizer = new Optimizer(model, opt.weightDecay(), opt.headLrFactor());
        int stepsPerEpoch = (train.length + opt.batchSize() - 1) / opt.batchSize();
        int total = stepsPerEpoch * opt.epochs();
        LrSchedule sched = new LrSchedule(LrSchedule.Kind.LINEAR, opt.lr(), (int) Math.round(total * opt.warmupFraction()), total);
        int groups = pool.threads();
        Tensor[][] views = new Tensor[groups][];
        for (int g = 0; g < groups; g++) {
            views[g] = model.view();
        }
        SplittableRandom rnd = new SplittableRandom(opt.seed());
        int[] order = train.clone();
        List<Double> va = new ArrayList<>();
        List<Double> vl = new ArrayList<>();
        List<Double> tl = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY; // lowest validation loss so far
        int bestEpoch = 0;
        float[][] bestParams = null;
        long step = 0;
        long t0 = System.nanoTime();
        long examples = 0;
        int epoch = 0;
        // stop once `patience` finished epochs in a row failed to lower the validation loss (Keras' and
        // Hugging Face's meaning); epoch - 1 - bestEpoch is how many have failed so far
        for (; epoch < opt.epochs() && epoch - 1 - bestEpoch < opt.patience(); epoch++) {
            shuffle(order, rnd);
            double lossSum = 0;
            for (int b = 0; b < order.length; b += opt.batchSize()) {
                int[] batch = Arrays.copyOfRange(order, b, Math.min(order.length, b + opt.batchSize()));
                double loss = step(seqs, y, batch, views, step);
                lossSum += loss * batch.length;
                optimizer.step(pool, views[0], sched.at(step));
                step++;
                examples += batch.length;
                listener.step(step, total, loss, examples / ((System.nanoTime() - t0) / 1e9));
            }
            double[] acc = val.length == 0 ? new double[] {Double.NaN, Double.NaN} : evaluate(seqs, y, val);
            va.add(acc[0]);
            vl.add(acc[1]);
            tl.add(lossSum / order.length);
            listener.epoch(epoch + 1, lossSum / order.length, acc[0], acc[1]);
            if (val.length == 0 || acc[1] < best) {
                best = val.length == 0 ? best : acc[1];
                bestEpoch = epoch;
                bestParams = epoch + 1 < opt.epochs() ? model.snapshot() : null; // the last epoch's weights are already in place
            }
        }
        if (bestParams != null && bestEpoch != epoch - 1) {
            model.restore(bestParams);
        }
        return new Result(epoch, bestEpoch + 1, va, vl, tl, step, (System.nanoTime() - t0) / 1e9);
    }

    /** One batch forward and backward; leaves the summed (and clipped) gradient in views[0]; returns the mean loss. */
    private double step(int[][] seqs, Objective y, int[] batch, Tensor[][] views, long step) {
        int[][] parts = split(seqs, batch, views.length);
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
            int[][] s = new int[parts[g].length][];
            for (int i = 0; i < s.length; i++) {
                s[i] = seqs[parts[g][i]];
            }
            try (ThreadPool inline = new ThreadPool(1)) {
                Tape tape = new Tape(inline, true);
                long seed = opt.seed() * 1_000_003L + step * 64 + g * 16L;
                Tensor pooled = model.encode(tape, v, packed, s, opt.dropout(), seed);
                Tensor logits = model.logits(tape, v, pooled, opt.dropout(), seed + 15);
                Grad.Loss l = y.loss(tape, logits, parts[g], batch.length);
                l.tensor().accumulateGrad(new float[] {1f});
                tape.backward();
                loss[g] = l.sum();
            }
        });
        reduceAndClip(pool, views, opt.maxGradNorm());
        double sum = 0;
        for (double l : loss) {
            sum += l;
        }
        return sum / batch.length;
    }

    /**
     * AdamW over a model's parameters: two optimizers (decayed matrices, undecayed vectors), each holding moments only
     * for its own parameters; the head (the last two parameters) learns {@code headLrFactor} times faster. Not thread-safe.
     */
    static final class Optimizer {
        private final TrainableBert model;
        private final AdamW adamw;
        private final AdamW adam;
        private final float headLrFactor;

        Optimizer(TrainableBert model, float weightDecay, float headLrFactor) {
            Tensor[] params = model.params();
            int[] decayed = new int[params.length];
            int[] plain = new int[params.length];
            for (int i = 0; i < params.length; i++) {
                (model.decays(i) ? decayed : plain)[i] = params[i].size();
            }
            this.model = model;
            this.adamw = new AdamW(decayed, weightDecay);
            this.adam = new AdamW(plain, 0f);
            this.headLrFactor = headLrFactor;
        }

        /** One update of every parameter from the gradients in {@code grads} (views[0] after {@link #reduceAndClip}). */
        void step(ThreadPool pool, Tensor[] grads, float lr) {
            Tensor[] params = model.params();
            adamw.beginStep();
            adam.beginStep();
            // each parameter's moments are its own: updates of different parameters run in parallel
            pool.parallelFor(params.length, i -> {
                boolean head = i >= params.length - 2;
                float l = head ? lr * headLrFactor : lr;
                (model.decays(i) ? adamw : adam).update(i, params[i].data, grads[i].grad(), l);
            });
        }
    }

    /** Sums every group's gradients into views[0] (in group order: deterministic) and clips their global norm. */
    static void reduceAndClip(ThreadPool pool, Tensor[][] views, float maxGradNorm) {
        Tensor[] g0 = views[0];
        double[] ss = new double[g0.length];
        pool.parallelFor(g0.length, i -> { // groups summed in group order per parameter: deterministic
            float[] a = g0[i].grad();
            for (int g = 1; g < views.length; g++) {
                float[] b = views[g][i].grad();
                for (int j = 0; j < a.length; j++) {
                    a[j] += b[j];
                }
            }
            double sq = 0;
            for (float f : a) {
                sq += (double) f * f;
            }
            ss[i] = sq;
        });
        if (maxGradNorm > 0) {
            double norm = Math.sqrt(Arrays.stream(ss).sum());
            if (norm > maxGradNorm) {
                float k = (float) (maxGradNorm / (norm + 1e-6));
                pool.parallelFor(g0.length, i -> {
                    float[] a = g0[i].grad();
                    for (int j = 0; j < a.length; j++) {
                        a[j] *= k;
                    }
                });
            }
        }
    }

    /** Batch members split into {@code groups} parts with balanced token counts (longest first, greedy). */
    static int[][] split(int[][] seqs, int[] batch, int groups) {
        Integer[] idx = Arrays.stream(batch).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, (a, b) -> Integer.compare(seqs[b].length, seqs[a].length));
        List<List<Integer>> m = new ArrayList<>();
        long[] load = new long[groups];
        for (int g = 0; g < groups; g++) {
            m.add(new ArrayList<>());
        }
        for (int i : idx) {
            int bestG = 0;
            for (int g = 1; g < groups; g++) {
                if (load[g] < load[bestG]) {
                    bestG = g;
                }
            }
            m.get(bestG).add(i);
            // attention costs len², projections len: weigh both so groups finish together
            load[bestG] += seqs[i].length + (long) seqs[i].length * seqs[i].length / 64;
        }
        int[][] out = new int[groups][];
        for (int g = 0; g < groups; g++) {
            out[g] = m.get(g).stream().mapToInt(Integer::intValue).toArray();
        }
        return out;
    }

    /** Pooled vectors of the given examples with the current weights, no dropout, data-parallel. */
    public float[][] embed(int[][] seqs, int[] idx) {
        float[][] out = new float[idx.length][];
        forEachChunk(seqs, idx, (chunk, pooled) -> {
            for (int i = 0; i < chunk.length; i++) {
                out[chunk[i]] = Arrays.copyOfRange(pooled.data, i * pooled.cols, (i + 1) * pooled.cols);
            }
        }, false);
        return out;
    }

    /**
     * {accuracy, mean NLL} of the current model on {@code idx}. Each chunk's NLL is summed on its own and the
     * chunks are added in order, so the same weights give the same bits however the threads interleave.
     */
    public double[] evaluate(int[][] seqs, int[] y, int[] idx) {
        return evaluate(seqs, Objective.softmax(y), idx);
    }

    /** {right share, mean loss} under {@code y} (multi-label: exact-match share, mean BCE summed over labels). */
    public double[] evaluate(int[][] seqs, Objective y, int[] idx) {
        int chunks = (idx.length + EVAL_CHUNK - 1) / EVAL_CHUNK;
        int[] correct = new int[chunks];
        double[] nll = new double[chunks];
        forEachChunk(seqs, idx, (chunk, logits) -> {
            int c = logits.cols;
            int k = chunk[0] / EVAL_CHUNK;
            for (int i = 0; i < chunk.length; i++) {
                double[] r = y.score(logits.data, i * c, c, idx[chunk[i]]);
                correct[k] += (int) r[0];
                nll[k] += r[1];
            }
        }, true);
        int right = 0;
        double sum = 0;
        for (int k = 0; k < chunks; k++) {
            right += correct[k];
            sum += nll[k];
        }
        return new double[] {(double) right / idx.length, sum / idx.length};
    }

    private interface ChunkSink {
        void accept(int[] positions, Tensor out);
    }

    /** Sequences per inference chunk. */
    private static final int EVAL_CHUNK = 32;

    /** Runs inference chunks of 32 sequences, one chunk per thread at a time; positions index into idx. */
    private void forEachChunk(int[][] seqs, int[] idx, ChunkSink sink, boolean logits) {
        int chunk = EVAL_CHUNK;
        int chunks = (idx.length + chunk - 1) / chunk;
        TrainableBert.Packed packed = model.pack(pool);
        Tensor[] p = model.params();
        pool.parallelFor(chunks, c -> {
            int from = c * chunk;
            int to = Math.min(idx.length, from + chunk);
            int[] pos = new int[to - from];
            int[][] s = new int[to - from][];
            for (int i = from; i < to; i++) {
                pos[i - from] = i;
                s[i - from] = seqs[idx[i]];
            }
            try (ThreadPool inline = new ThreadPool(1)) {
                Tape tape = new Tape(inline, false);
                Tensor pooled = model.encode(tape, p, packed, s, 0f, 0);
                sink.accept(pos, logits ? model.logits(tape, p, pooled, 0f, 0) : pooled);
            }
        });
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
