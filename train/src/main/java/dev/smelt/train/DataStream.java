package dev.smelt.train;

import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.data.PackedBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Endless, reproducible walk over the training examples: epoch e visits them in a permutation drawn
 * from {@code seed + e}, so the whole position is (epoch, index) and resuming needs nothing else.
 * Micro-batches pack consecutive examples up to {@code batchTokens}; an example longer than that is
 * cut to its first batchTokens tokens (as max_seq_length does), and one left with no target is skipped.
 * Not thread-safe.
 */
public final class DataStream {
    private final List<TokenizedExample> examples;
    private final long seed;
    private final int batchTokens;
    private int epoch;
    private int index;
    private int[] order;

    public DataStream(List<TokenizedExample> examples, long seed, int batchTokens) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        boolean any = false;
        for (TokenizedExample e : examples) {
            any |= truncate(e, batchTokens).targetCount() > 0;
        }
        if (!any) {
            throw new IllegalArgumentException("no training example has a target token within the first " + batchTokens + " tokens: nothing to train on");
        }
        this.examples = List.copyOf(examples);
        this.seed = seed;
        this.batchTokens = batchTokens;
        seek(0, 0);
    }

    public int size() {
        return examples.size();
    }

    public int epoch() {
        return epoch;
    }

    public int index() {
        return index;
    }

    /** Moves to a saved position. */
    public void seek(int epoch, int index) {
        if (epoch < 0 || index < 0 || index > examples.size()) {
            throw new IllegalArgumentException("data position (epoch " + epoch + ", index " + index + ") is outside a dataset of " + examples.size() + " examples");
        }
        this.epoch = epoch;
        this.order = permutation(epoch);
        this.index = index;
    }

    private int[] permutation(int e) {
        int[] p = new int[examples.size()];
        Arrays.setAll(p, i -> i);
        Random r = new Random(seed + e);
        for (int i = p.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The next micro-batch (at least one example with a target). */
    public PackedBatch next() {
        List<TokenizedExample> batch = new ArrayList<>();
        int tokens = 0;
        while (true) {
            if (index == order.length) {
                seek(epoch + 1, 0);
            }
            TokenizedExample e = truncate(examples.get(order[index]), batchTokens);
            if (e.targetCount() == 0) {
                index++;
                continue;
            }
            if (!batch.isEmpty() && tokens + e.tokens().length > batchTokens) {
                return PackedBatch.pack(batch);
            }
            batch.add(e);
            tokens += e.tokens().length;
            index++;
        }
    }

    static TokenizedExample truncate(TokenizedExample e, int max) {
        if (e.tokens().length <= max) {
            return e;
        }
        return e.prefix(max);
    }
}
