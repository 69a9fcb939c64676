package dev.smelt.runtime.engine;

import dev.smelt.model.KvCache;
import dev.smelt.runtime.sampling.Sampler;
import java.util.Arrays;

/** One sequence position of the engine: a KV cache and the request using it. Engine-thread only. */
final class Slot {
    final int id;
    KvCache cache;          // allocated on first use
    int[] cached = new int[0]; // tokens whose keys/values are in the cache, [cache.length()]
    int cachedAdapter;      // adapter those keys/values were computed with (0 = base)
    long lastUsedNanos;

    RequestHandle handle;   // null when idle
    Sampler sampler;
    int promptPos;          // next prompt index to feed
    int reused;             // prompt tokens taken from the cache
    int[] history;          // prompt + generated, for penalties
    int historyLen;
    int[] generated;
    int generatedLen;
    int[] feed = new int[8]; // tokens to feed: the last sampled one, then forced (jump-forward) or draft tokens
    int feedLen;            // feed[0, feedLen) pending
    int feedPos;            // feed[0, feedPos) already in a step
    int drafts;             // the last `drafts` of feed are unverified drafts (logits wanted for every row from the sampled one)
    long startNanos;
    long firstTokenNanos;

    Slot(int id) {
        this.id = id;
    }

    /** Pending: {@code token}, then {@code extra[0, n)}, with the last {@code drafts} of them unverified. */
    void setFeed(int token, int[] extra, int n, int drafts) {
        if (feed.length < n + 1) {
            feed = new int[Math.max(n + 1, feed.length * 2)];
        }
        feed[0] = token;
        System.arraycopy(extra, 0, feed, 1, n);
        feedLen = n + 1;
        feedPos = 0;
        this.drafts = drafts;
    }

    void clearFeed() {
        feedLen = 0;
        feedPos = 0;
        drafts = 0;
    }

    boolean hasFeed() {
        return feedPos < feedLen;
    }

    boolean idle() {
        return handle == null;
    }

    boolean inPrompt() {
        return handle != null && promptPos < handle.request.prompt().length;
    }

    /** Length of the common prefix of the cached tokens and {@code prompt}; 0 when the cache holds another adapter's keys/values. */
    int commonPrefix(int[] prompt, int adapter) {
        if (adapter != cachedAdapter) {
            return 0;
        }
        int n = Math.min(cache == null ? 0 : cache.length(), prompt.length);
        int i = 0;
        while (i < n && cached[i] == prompt[i]) {
            i++;
        }
        return i;
    }

    /** Notes that {@code token} now sits at cache position {@code pos}. */
    void recordFed(int pos, int token) {
        if (cached.length <= pos) {
            cached = Arrays.copyOf(cached, Math.max(16, Math.max(pos + 1, cached.length * 2)));
        }
        cached[pos] = token;
    }
}
