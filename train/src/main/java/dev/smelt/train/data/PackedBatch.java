package dev.smelt.train.data;

import java.util.List;

/**
 * Several examples packed into one training sequence. Attention must not cross examples: token i may
 * attend to token j only when {@code docIds[i] == docIds[j]} and j ≤ i; positions restart at 0 in
 * each example (for RoPE), so each example is computed exactly as if it were alone.
 *
 * @param tokens    [n] token ids, examples back to back
 * @param target    [n] loss mask (as {@link TokenizedExample#target()}; each example's first token false)
 * @param docIds    [n] index of the example within this sequence, 0, 0, …, 1, 1, …
 * @param positions [n] position of the token within its example
 * @param sources   file:line of each packed example, by doc id
 *
 * <p>Immutable by convention (arrays are not copied); thread-safe once built.
 */
public record PackedBatch(int[] tokens, boolean[] target, int[] docIds, int[] positions, List<String> sources) {
    public PackedBatch {
        int n = tokens.length;
        if (target.length != n || docIds.length != n || positions.length != n) {
            throw new IllegalArgumentException("packed arrays differ in length: tokens " + n + ", target " + target.length
                    + ", docIds " + docIds.length + ", positions " + positions.length);
        }
        sources = List.copyOf(sources);
    }

    public int length() {
        return tokens.length;
    }

    public int documents() {
        return sources.size();
    }

    public int targetCount() {
        int c = 0;
        for (boolean t : target) {
            if (t) {
                c++;
            }
        }
        return c;
    }

    /** True when token i may attend to token j (same example, not in the future). */
    public boolean attends(int i, int j) {
        return j <= i && docIds[i] == docIds[j];
    }
}
