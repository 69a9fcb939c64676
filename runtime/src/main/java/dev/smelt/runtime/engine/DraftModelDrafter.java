package dev.smelt.runtime.engine;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.tensor.ThreadPool;
import java.util.Arrays;

/**
 * Drafts with a small model of the same vocabulary (llama-server's {@code --model-draft}): greedy tokens from the
 * draft model, stopping early once its top probability falls below {@code pMin} (llama.cpp's {@code --draft-p-min}).
 * Keeps one KV cache per engine slot and re-feeds only what changed since the last draft (the tokens accepted or
 * corrected by verification). Engine thread only; not thread-safe. Does not own the model.
 */
public final class DraftModelDrafter implements Drafter {
    /** llama.cpp's default {@code --draft-p-min}. */
    public static final float DEFAULT_P_MIN = 0.75f;

    private final DecoderModel model;
    private final ThreadPool pool;
    private final int context;
    private final float pMin;
    private final KvCache[] caches;
    private final int[][] fed; // tokens in each slot's draft cache

    /**
     * @param vocab   the target model's vocabulary size: the draft model must match it
     * @param context KV capacity per slot (the engine's)
     */
    public DraftModelDrafter(DecoderModel model, ThreadPool pool, int slots, int context, int vocab, float pMin) {
        if (model.config().vocab() != vocab) {
            throw new IllegalArgumentException("the draft model's vocabulary has " + model.config().vocab()
                    + " tokens but the model's has " + vocab + "; a draft model must share the tokenizer");
        }
        if (!(pMin >= 0 && pMin <= 1)) {
            throw new IllegalArgumentException("draft p-min must be in [0, 1], got " + pMin);
        }
        this.model = model;
        this.pool = pool;
        this.context = context;
        this.pMin = pMin;
        this.caches = new KvCache[slots];
        this.fed = new int[slots][0];
    }

    @Override
    public int draft(int slot, int[] history, int len, int max, int[] out) {
        if (caches[slot] == null) {
            caches[slot] = model.newCache(context);
        }
        KvCache cache = caches[slot];
        int common = 0;
        int known = Math.min(cache.length(), len);
        while (common < known && fed[slot][common] == history[common]) {
            common++;
        }
        common = Math.min(common, len - 1); // feed at least one token to get logits
        cache.truncate(common);
        float[] logits = feed(slot, Arrays.copyOfRange(history, common, len));
        int n = 0;
        while (n < max) {
            int best = argmax(logits);
            if (probability(logits, best) < pMin) {
                break;
            }
            out[n++] = best;
            if (n == max || cache.length() + 1 > cache.capacity()) {
                break;
            }
            logits = feed(slot, new int[] {best});
        }
        return n;
    }

    private float[] feed(int slot, int[] tokens) {
        KvCache cache = caches[slot];
        int start = cache.length();
        float[] logits = model.forward(pool, tokens, tokens.length, cache, false);
        if (fed[slot].length < start + tokens.length) {
            fed[slot] = Arrays.copyOf(fed[slot], Math.max(start + tokens.length, fed[slot].length * 2));
        }
        System.arraycopy(tokens, 0, fed[slot], start, tokens.length);
        return logits;
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** softmax(logits)[id]. */
    static double probability(float[] logits, int id) {
        double max = logits[id];
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return 1 / sum;
    }

    @Override
    public String kind() {
        return "model";
    }
}
