package dev.smelt.distill;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Exact and near-duplicate detection over texts: character 5-gram shingles of the normalized text
 * (lower case, whitespace collapsed), MinHash signatures banded for locality-sensitive candidate
 * lookup, and the exact Jaccard similarity of the shingle sets checked for every candidate (so the
 * threshold is exact; LSH only decides which pairs are compared). With 32 bands of 4 rows a pair at
 * Jaccard 0.7 becomes a candidate with probability 1 − (1 − 0.7⁴)³² ≈ 0.9998. Not thread-safe.
 */
public final class NearDuplicates {
    static final int SHINGLE = 5;
    static final int BANDS = 32;
    static final int ROWS = 4;

    private final double threshold;
    private final long[] seeds = new long[BANDS * ROWS];
    private final Map<String, Integer> exact = new HashMap<>();
    private final List<Set<Integer>> shingles = new ArrayList<>();
    private final List<Integer> ids = new ArrayList<>();
    private final List<Map<Long, List<Integer>>> bands = new ArrayList<>();

    /** @param threshold Jaccard at or above which a text counts as a near-duplicate; 0 turns the near check off */
    public NearDuplicates(double threshold) {
        if (threshold < 0 || threshold > 1) {
            throw new IllegalArgumentException("near-duplicate threshold must be in [0, 1], got " + threshold);
        }
        this.threshold = threshold;
        java.util.SplittableRandom r = new java.util.SplittableRandom(0x5eed);
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = r.nextLong() | 1;
        }
        for (int b = 0; b < BANDS; b++) {
            bands.add(new HashMap<>());
        }
    }

    public static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).strip().replaceAll("\\s+", " ");
    }

    /** A match: the id of the earlier text and the Jaccard similarity (1.0 for an exact duplicate). */
    public record Match(int id, double similarity) {
    }

    /** The earlier text this one duplicates (exact first, then nearest above the threshold), or null. */
    public Match find(String text) {
        String n = normalize(text);
        Integer ex = exact.get(n);
        if (ex != null) {
            return new Match(ex, 1.0);
        }
        if (threshold == 0) {
            return null;
        }
        Set<Integer> sh = shingles(n);
        long[] sig = signature(sh);
        Set<Integer> seen = new HashSet<>();
        Match best = null;
        for (int b = 0; b < BANDS; b++) {
            for (int cand : bands.get(b).getOrDefault(bandKey(sig, b), List.of())) {
                if (seen.add(cand)) {
                    double j = jaccard(sh, shingles.get(cand));
                    if (j >= threshold && (best == null || j > best.similarity())) {
                        best = new Match(ids.get(cand), j);
                    }
                }
            }
        }
        return best;
    }

    /** Adds a kept text under {@code id}. */
    public void add(int id, String text) {
        String n = normalize(text);
        exact.putIfAbsent(n, id);
        if (threshold == 0) {
            return;
        }
        Set<Integer> sh = shingles(n);
        long[] sig = signature(sh);
        int idx = shingles.size();
        shingles.add(sh);
        ids.add(id);
        for (int b = 0; b < BANDS; b++) {
            bands.get(b).computeIfAbsent(bandKey(sig, b), k -> new ArrayList<>()).add(idx);
        }
    }

    static Set<Integer> shingles(String n) {
        Set<Integer> s = new HashSet<>();
        if (n.length() <= SHINGLE) {
            s.add(n.hashCode());
            return s;
        }
        for (int i = 0; i + SHINGLE <= n.length(); i++) {
            s.add(n.substring(i, i + SHINGLE).hashCode());
        }
        return s;
    }

    public static double jaccard(Set<Integer> a, Set<Integer> b) {
        int inter = 0;
        for (int x : a) {
            if (b.contains(x)) {
                inter++;
            }
        }
        int union = a.size() + b.size() - inter;
        return union == 0 ? 1.0 : (double) inter / union;
    }

    /** Jaccard similarity of two texts' shingle sets. */
    public static double similarity(String a, String b) {
        return jaccard(shingles(normalize(a)), shingles(normalize(b)));
    }

    private long[] signature(Set<Integer> sh) {
        long[] sig = new long[seeds.length];
        java.util.Arrays.fill(sig, Long.MAX_VALUE);
        for (int x : sh) {
            for (int i = 0; i < seeds.length; i++) {
                long h = mix(x * seeds[i] + i);
                if (h < sig[i]) {
                    sig[i] = h;
                }
            }
        }
        return sig;
    }

    private static long bandKey(long[] sig, int band) {
        long h = band;
        for (int r = 0; r < ROWS; r++) {
            h = mix(h * 31 + sig[band * ROWS + r]);
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
