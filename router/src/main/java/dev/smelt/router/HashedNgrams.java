package dev.smelt.router;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Feature hashing of word unigrams, word bigrams and character trigrams into {@code dim} signed buckets,
 * L2-normalized: a cheap, dependency-free text representation (the "hashing trick") for the learned
 * router when no sentence encoder is plugged in. Sub-millisecond per text. Stateless, thread-safe.
 */
public final class HashedNgrams implements Function<List<String>, float[][]> {
    public static final String NAME = "hashed-ngrams";
    private final int dim;

    public HashedNgrams(int dim) {
        if (dim < 8) {
            throw new IllegalArgumentException("hashed feature dimension must be >= 8, got " + dim);
        }
        this.dim = dim;
    }

    @Override
    public float[][] apply(List<String> texts) {
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = embed(texts.get(i));
        }
        return out;
    }

    float[] embed(String text) {
        float[] v = new float[dim];
        String t = text.toLowerCase(Locale.ROOT);
        String[] words = t.split("[^\\p{L}\\p{N}']+");
        String prev = null;
        for (String w : words) {
            if (w.isEmpty()) {
                continue;
            }
            add(v, "w:" + w);
            if (prev != null) {
                add(v, "b:" + prev + " " + w);
            }
            prev = w;
        }
        String padded = " " + t + " ";
        for (int i = 0; i + 3 <= padded.length(); i++) {
            add(v, "c:" + padded.substring(i, i + 3));
        }
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        if (norm > 0) {
            float inv = (float) (1 / Math.sqrt(norm));
            for (int i = 0; i < dim; i++) {
                v[i] *= inv;
            }
        }
        return v;
    }

    private void add(float[] v, String feature) {
        int h = feature.hashCode() * 0x9E3779B1;
        v[Math.floorMod(h, dim)] += (h >>> 31) == 0 ? 1 : -1;
    }
}
