package dev.smelt.runtime.sampling;

import dev.smelt.tensor.ops.VectorOps;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from logits, in llama.cpp's default order: logit bias → penalties → top-k → top-p →
 * min-p → temperature → draw. Greedy when temperature is 0 (after penalties).
 *
 * <p>Not thread-safe: it owns a random generator; use one per sequence.
 */
public final class Sampler {
    private final SamplerConfig config;
    private final RandomGenerator random;
    private float[] scratch = new float[0]; // [vocab] softmax numerators, reused across tokens

    public Sampler(SamplerConfig config) {
        this(config, new SplittableRandom(config.seed()));
    }

    /** With an injected generator (tests). */
    public Sampler(SamplerConfig config, RandomGenerator random) {
        this.config = config;
        this.random = random;
    }

    public SamplerConfig config() {
        return config;
    }

    /**
     * @param logits  [vocab] at {@code off}; not modified
     * @param history tokens so far (prompt and generated), for the penalties
     */
    public int sample(float[] logits, int off, int vocab, int[] history, int historyLen) {
        boolean untruncated = (config.topK() <= 0 || config.topK() >= vocab) && config.topP() >= 1f && config.minP() <= 0f;
        if (!hasPenalties() && config.logitBias().isEmpty() && (config.isGreedy() || untruncated)) {
            // The common serving cases read the logits in place: no per-token copy of the vocabulary.
            if (config.isGreedy()) {
                return argmax(logits, off, vocab) - off;
            }
            return drawFromAll(logits, off, vocab, config.temperature(), random.nextDouble(), scratch(vocab));
        }
        float[] l = Arrays.copyOfRange(logits, off, off + vocab);
        config.logitBias().apply(l, vocab);
        applyPenalties(l, history, historyLen);
        if (config.isGreedy()) {
            return argmax(l);
        }
        if (untruncated) {
            return drawFromAll(l, 0, vocab, config.temperature(), random.nextDouble(), scratch(vocab));
        }
        int[] idx = candidates(l);
        int n = idx.length;
        // softmax over the sorted candidates (before temperature, as llama.cpp's top-p/min-p see them)
        double[] p = softmax(l, idx, n, 1f);
        if (config.topP() < 1f) {
            double cum = 0;
            int keep = n;
            for (int i = 0; i < n; i++) {
                cum += p[i];
                if (cum >= config.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
            p = softmax(l, idx, n, 1f);
        }
        if (config.minP() > 0f) {
            double threshold = p[0] * config.minP();
            int keep = 1;
            while (keep < n && p[keep] >= threshold) {
                keep++;
            }
            n = keep;
        }
        p = softmax(l, idx, n, config.temperature());
        double r = random.nextDouble();
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += p[i];
            if (r < cum) {
                return idx[i];
            }
        }
        return idx[n - 1];
    }

    /**
     * A draw from softmax(l / temperature) over the whole vocabulary without sorting it: with no
     * truncation (top-k off, top-p 1, min-p 0 — the OpenAI API's defaults) the order of the walk does
     * not change the distribution, and sorting 150k logits per token would dominate a batched step.
     * Walks ids in ascending order, so a seed gives a different (equally distributed) token than the
     * sorted walk.
     */
    static int drawFromAll(float[] l, float temperature, double r) {
        return drawFromAll(l, 0, l.length, temperature, r, new float[l.length]);
    }

    /**
     * As above over l[off, off + n), returning an index in [0, n); {@code e} (≥ n floats) receives the
     * unnormalized probabilities. Max and exponentials are vectorized (one pass each, float exp with
     * the sum in double); only the final walk up to the drawn token is scalar.
     */
    static int drawFromAll(float[] l, int off, int n, float temperature, double r, float[] e) {
        float max = VectorOps.max(l, off, n);
        double sum = VectorOps.expShifted(l, off, n, max, (float) (1.0 / temperature), e, 0);
        double target = r * sum;
        double cum = 0;
        int last = 0;
        for (int i = 0; i < n; i++) {
            float v = e[i];
            if (v == 0) {
                continue;
            }
            cum += v;
            last = i;
            if (target < cum) {
                return i;
            }
        }
        return last;
    }

    private float[] scratch(int n) {
        if (scratch.length < n) {
            scratch = new float[n];
        }
        return scratch;
    }

    private boolean hasPenalties() {
        return config.repeatPenalty() != 1f || config.frequencyPenalty() != 0f || config.presencePenalty() != 0f;
    }

    /**
     * Candidate ids sorted by logit descending (ties: lower id first), cut to top-k when enabled.
     * Sorts packed (order key, id) longs: no boxing, ~V·log V only when top-k is off.
     */
    private int[] candidates(float[] l) {
        int k = config.topK() > 0 ? Math.min(config.topK(), l.length) : l.length;
        long[] keys = new long[l.length];
        for (int i = 0; i < l.length; i++) {
            int bits = Float.floatToIntBits(l[i]);
            // float order -> signed int order, negated so that an ascending sort gives descending logits
            int ordered = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
            keys[i] = ((long) ~ordered << 32) | i;
        }
        if (k < l.length / 8) {
            return topK(keys, k);
        }
        Arrays.sort(keys);
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            idx[i] = (int) keys[i];
        }
        return idx;
    }

    /** The k smallest keys, sorted, by one bounded insertion pass (k is small: default 40). */
    private static int[] topK(long[] keys, int k) {
        long[] best = new long[k];
        Arrays.fill(best, Long.MAX_VALUE);
        for (long key : keys) {
            if (key < best[k - 1]) {
                int j = k - 1;
                while (j > 0 && key < best[j - 1]) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = key;
            }
        }
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            idx[i] = (int) best[i];
        }
        return idx;
    }

    private static double[] softmax(float[] l, int[] idx, int n, float temperature) {
        double[] p = new double[n];
        double max = l[idx[0]] / temperature;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(l[idx[i]] / temperature - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private void applyPenalties(float[] l, int[] history, int historyLen) {
        boolean repeat = config.repeatPenalty() != 1f;
        if (!repeat && config.frequencyPenalty() == 0f && config.presencePenalty() == 0f) {
            return;
        }
        int window = config.repeatLastN() < 0 ? historyLen : Math.min(historyLen, config.repeatLastN());
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = historyLen - window; i < historyLen; i++) {
            counts.merge(history[i], 1, Integer::sum);
        }
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            int t = e.getKey();
            if (t < 0 || t >= l.length) {
                continue;
            }
            if (repeat) {
                l[t] = l[t] > 0 ? l[t] / config.repeatPenalty() : l[t] * config.repeatPenalty();
            }
            l[t] -= e.getValue() * config.frequencyPenalty() + config.presencePenalty();
        }
    }

    /** Index (into l) of the largest of l[off, off + n) (lowest index on ties). */
    static int argmax(float[] l, int off, int n) {
        int best = off;
        for (int i = off + 1; i < off + n; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Index of the largest value (lowest index on ties). */
    public static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }
}
