package dev.smelt.train.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Greedy packing: examples, in the given order (shuffle first for training), go into the first open
 * sequence with room for them (first-fit), each sequence holding at most {@code budget} tokens.
 * First-fit keeps the order of examples within a sequence and fills sequences far better than cutting
 * at the first misfit, without splitting any example. Stateless, thread-safe.
 */
public final class Packing {
    private Packing() {
    }

    /**
     * @param budget tokens per packed sequence
     * @throws DataException when an example alone exceeds the budget (limit lengths when loading)
     */
    public static List<PackedBatch> pack(List<TokenizedExample> examples, int budget) {
        List<List<TokenizedExample>> bins = bins(examples, budget);
        List<PackedBatch> out = new ArrayList<>(bins.size());
        for (List<TokenizedExample> b : bins) {
            out.add(PackedBatch.pack(b));
        }
        return out;
    }

    /**
     * The first-fit assignment alone: which examples share a sequence, in order (for a trainer that
     * builds its own batch layout from them).
     */
    public static List<List<TokenizedExample>> bins(List<TokenizedExample> examples, int budget) {
        if (budget <= 0) {
            throw new IllegalArgumentException("packing budget must be positive, got " + budget);
        }
        List<List<TokenizedExample>> bins = new ArrayList<>();
        List<Integer> used = new ArrayList<>();
        for (TokenizedExample e : examples) {
            int n = e.tokens().length;
            if (n > budget) {
                throw new DataException(e.source(), "example has " + n + " tokens, more than a packed sequence of " + budget);
            }
            int b = 0;
            while (b < bins.size() && used.get(b) + n > budget) {
                b++;
            }
            if (b == bins.size()) {
                bins.add(new ArrayList<>());
                used.add(0);
            }
            bins.get(b).add(e);
            used.set(b, used.get(b) + n);
        }
        return bins;
    }

    /** One example per sequence, no packing (for evaluation or when the trainer pads). */
    public static PackedBatch single(TokenizedExample e) {
        return PackedBatch.pack(List.of(e));
    }
}
