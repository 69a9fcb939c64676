package dev.smelt.train.data;

import dev.smelt.train.autograd.Grad;
import java.util.ArrayList;
import java.util.List;

/**
 * Several examples packed into one sequence of rows for a training forward pass. Each example keeps
 * its own positions (from 0) and attends only to itself (row i may attend to row j only when j ≤ i and
 * {@code docStart[i] == docStart[j]}), so packing changes nothing about the loss of an example. Row i
 * with a scored next token predicts {@code targetIds} at its entry in {@code targetRows}; an example's
 * first token is never a target (nothing before it in its example predicts it).
 * Immutable by convention (arrays are not copied); thread-safe once built.
 *
 * @param tokens     [n] token ids
 * @param positions  [n] position within the example (RoPE)
 * @param docStart   [n] row where the example of row i begins (attention lower bound)
 * @param targetRows [m] rows whose next token is a target, ascending
 * @param targetIds  [m] the token each of those rows must predict
 * @param teacher    the teacher's top-k at each of the m targets (distillation), or null when no packed example has any
 * @param sources    file:line of each packed example, in order
 */
public record PackedBatch(int[] tokens, int[] positions, int[] docStart, int[] targetRows, int[] targetIds, Grad.TeacherTopK teacher,
                          List<String> sources) {
    public PackedBatch {
        int n = tokens.length;
        if (positions.length != n || docStart.length != n || targetRows.length != targetIds.length) {
            throw new IllegalArgumentException("packed arrays differ in length: tokens " + n + ", positions " + positions.length
                    + ", docStart " + docStart.length + ", targetRows " + targetRows.length + ", targetIds " + targetIds.length);
        }
        sources = List.copyOf(sources);
    }

    public int size() {
        return tokens.length;
    }

    public int targetCount() {
        return targetRows.length;
    }

    /** Examples packed. */
    public int documents() {
        return sources.size();
    }

    /** True when row i may attend to row j (same example, not in the future). */
    public boolean attends(int i, int j) {
        return j <= i && docStart[i] == docStart[j];
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
        boolean anyTeacher = false;
        int entries = 0;
        for (TokenizedExample e : examples) {
            if (e.teacherIds() != null) {
                anyTeacher = true;
                for (int i = 0; i < e.tokens().length; i++) {
                    if (e.target()[i] && e.teacherIds()[i] != null) {
                        entries += e.teacherIds()[i].length;
                    }
                }
            }
        }
        int[] off = anyTeacher ? new int[m + 1] : null;
        int[] kIds = anyTeacher ? new int[entries] : null;
        float[] kLp = anyTeacher ? new float[entries] : null;
        int k = 0;
        List<String> sources = new ArrayList<>(examples.size());
        for (TokenizedExample e : examples) {
            sources.add(e.source());
            int start = r;
            for (int i = 0; i < e.tokens().length; i++, r++) {
                tokens[r] = e.tokens()[i];
                pos[r] = i;
                doc[r] = start;
                if (e.target()[i]) {
                    rows[t] = r - 1;
                    ids[t++] = e.tokens()[i];
                    if (anyTeacher) {
                        if (e.teacherIds() != null && e.teacherIds()[i] != null) {
                            System.arraycopy(e.teacherIds()[i], 0, kIds, k, e.teacherIds()[i].length);
                            System.arraycopy(e.teacherLogprobs()[i], 0, kLp, k, e.teacherIds()[i].length);
                            k += e.teacherIds()[i].length;
                        }
                        off[t] = k;
                    }
                }
            }
        }
        return new PackedBatch(tokens, pos, doc, rows, ids, anyTeacher ? new Grad.TeacherTopK(off, kIds, kLp) : null, sources);
    }
}
