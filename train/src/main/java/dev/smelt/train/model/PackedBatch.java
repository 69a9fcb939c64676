package dev.smelt.train.model;

import dev.smelt.train.data.TokenizedExample;
import java.util.List;

/**
 * Several examples packed into one sequence of rows for a training forward pass. Each example keeps
 * its own positions (from 0) and attends only to itself (docStart), so packing changes nothing about
 * the loss of an example. Row i with a scored next token predicts {@code targetIds} at its entry in
 * {@code targetRows}. Immutable.
 *
 * @param tokens     [n] token ids
 * @param positions  [n] position within the example (RoPE)
 * @param docStart   [n] row where the example of row i begins (attention lower bound)
 * @param targetRows [m] rows whose next token is a target, ascending
 * @param targetIds  [m] the token each of those rows must predict
 */
public record PackedBatch(int[] tokens, int[] positions, int[] docStart, int[] targetRows, int[] targetIds) {

    public int size() {
        return tokens.length;
    }

    public int targetCount() {
        return targetRows.length;
    }

    /** Packs examples in order; example j's token i is a target when {@code target[i]}, predicted from row i − 1. */
    public static PackedBatch pack(List<TokenizedExample> examples) {
        int n = 0;
        int m = 0;
        for (TokenizedExample e : examples) {
            n += e.tokens().length;
            m += e.targetCount();
        }
        int[] tokens = new int[n];
        int[] pos = new int[n];
        int[] doc = new int[n];
        int[] rows = new int[m];
        int[] ids = new int[m];
        int r = 0;
        int t = 0;
        for (TokenizedExample e : examples) {
            int start = r;
            for (int i = 0; i < e.tokens().length; i++, r++) {
                tokens[r] = e.tokens()[i];
                pos[r] = i;
                doc[r] = start;
                if (e.target()[i]) {
                    rows[t] = r - 1;
                    ids[t++] = e.tokens()[i];
                }
            }
        }
        return new PackedBatch(tokens, pos, doc, rows, ids);
    }
}
