package dev.smelt.runtime.engine;

/**
 * Prompt-lookup drafts (n-gram speculation, as llama.cpp's lookup decoding and vLLM's ngram proposer): find the latest
 * earlier occurrence of the sequence's last n tokens (n from {@code ngramMax} down to {@code ngramMin}) and propose the
 * tokens that followed it. Costs no model; pays off where outputs copy their input (extraction, labels listed in a
 * few-shot prompt, repeated JSON keys). Stateless; thread-safe.
 */
public final class PromptLookupDrafter implements Drafter {
    /** Defaults: a 3-gram is tried first; a single matching token is too weak a signal to spend rows on. */
    public static final int DEFAULT_NGRAM_MAX = 3;
    public static final int DEFAULT_NGRAM_MIN = 2;

    private final int ngramMin;
    private final int ngramMax;

    public PromptLookupDrafter(int ngramMin, int ngramMax) {
        if (ngramMin < 1 || ngramMax < ngramMin) {
            throw new IllegalArgumentException("n-gram sizes must satisfy 1 <= min <= max, got min " + ngramMin + ", max " + ngramMax);
        }
        this.ngramMin = ngramMin;
        this.ngramMax = ngramMax;
    }

    public PromptLookupDrafter() {
        this(DEFAULT_NGRAM_MIN, DEFAULT_NGRAM_MAX);
    }

    @Override
    public int draft(int slot, int[] history, int len, int max, int[] out) {
        for (int n = Math.min(ngramMax, len - 1); n >= ngramMin; n--) {
            int tail = len - n;
            for (int start = tail - 1; start >= 0; start--) { // latest occurrence first: the most relevant context
                if (matches(history, start, tail, n)) {
                    int from = start + n;
                    int count = Math.min(max, len - from);
                    System.arraycopy(history, from, out, 0, count);
                    return count;
                }
            }
        }
        return 0;
    }

    private static boolean matches(int[] h, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            if (h[a + i] != h[b + i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String kind() {
        return "lookup";
    }
}
