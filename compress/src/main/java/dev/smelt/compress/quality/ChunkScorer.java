package dev.smelt.compress.quality;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.tensor.ThreadPool;
import java.util.Arrays;

/**
 * llama.cpp's perplexity protocol: the token stream is cut into non-overlapping chunks of {@code ctx}
 * tokens; each chunk's first token is replaced by BOS (when the vocabulary adds one); the model sees
 * the chunk from an empty cache; only the second half is scored: logits at positions j in
 * [ctx/2, ctx−1) predict token j+1. Thread-safety: stateless; uses the given pool.
 */
final class ChunkScorer {
    /** Prompt tokens per forward call (llama.cpp's n_batch defaults to 2048 ≥ ctx; we bound scratch memory). */
    static final int BATCH = 256;

    private ChunkScorer() {
    }

    /** Number of whole chunks in {@code tokens}. */
    static int chunkCount(int tokens, int ctx) {
        return tokens / ctx;
    }

    /** First scored position of a chunk. */
    static int firstScored(int ctx) {
        return ctx / 2;
    }

    /** Logits of chunk {@code c} for positions [ctx/2, ctx−1): [ctx − 1 − ctx/2, vocab]. */
    static float[] scoredLogits(DecoderModel m, ThreadPool pool, int[] tokens, int c, int ctx, int bos) {
        int[] chunk = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
        if (bos >= 0) {
            chunk[0] = bos;
        }
        int vocab = m.config().vocab();
        int first = firstScored(ctx);
        int scored = ctx - 1 - first;
        float[] out = new float[scored * vocab];
        KvCache cache = m.newCache(ctx);
        for (int start = 0; start < ctx; start += BATCH) {
            int n = Math.min(BATCH, ctx - start);
            int[] part = Arrays.copyOfRange(chunk, start, start + n);
            boolean needed = start + n > first;
            float[] logits = m.forward(pool, part, n, cache, needed);
            if (!needed) {
                continue;
            }
            for (int j = Math.max(start, first); j < Math.min(start + n, ctx - 1); j++) {
                System.arraycopy(logits, (j - start) * vocab, out, (j - first) * vocab, vocab);
            }
        }
        return out;
    }

    /** log-softmax of row {@code r} of {@code logits} into {@code dst}, in double for stability. */
    static void logSoftmax(float[] logits, int r, int vocab, double[] dst) {
        int off = r * vocab;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        double lse = max + Math.log(sum);
        for (int i = 0; i < vocab; i++) {
            dst[i] = logits[off + i] - lse;
        }
    }
}
