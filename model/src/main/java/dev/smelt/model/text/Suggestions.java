package dev.smelt.model.text;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** "Did you mean …?": the candidates nearest to a mistyped word. Stateless. */
public final class Suggestions {
    /** Edits (insert, delete, substitute, swap two neighbours) a word of up to this length may be away from a suggestion. */
    private static final int SHORT_WORD = 4;

    private Suggestions() {
    }

    /**
     * The candidates at the smallest edit distance from {@code typed}, if that distance is small for the word's length
     * (1 for words up to {@value #SHORT_WORD} letters, else 2); else the candidates {@code typed} is a prefix of; else none.
     * Case is ignored. Order follows {@code candidates}.
     */
    public static List<String> nearest(String typed, Collection<String> candidates) {
        String t = typed.toLowerCase(Locale.ROOT);
        int limit = t.length() <= SHORT_WORD ? 1 : 2;
        int best = Integer.MAX_VALUE;
        List<String> out = new ArrayList<>();
        for (String c : candidates) {
            int d = distance(t, c.toLowerCase(Locale.ROOT));
            if (d > limit || d > best) {
                continue;
            }
            if (d < best) {
                best = d;
                out.clear();
            }
            if (!out.contains(c)) {
                out.add(c);
            }
        }
        if (out.isEmpty() && !t.isEmpty()) {
            for (String c : candidates) {
                if (c.toLowerCase(Locale.ROOT).startsWith(t) && !out.contains(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    /** Optimal string alignment distance: Levenshtein plus transposition of two adjacent letters ("rnu" → "run" is 1). */
    public static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
