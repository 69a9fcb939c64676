package dev.smelt.runtime;

import dev.smelt.model.KvCache;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.tensor.ThreadPool;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Token-level generation loop for one sequence: prompt in batches (matrix-matrix), then one token per
 * step until an end-of-generation token, {@code maxTokens}, or the listener says stop.
 *
 * <p>Not thread-safe (owns a sequence's cache and sampler); the model and pool may be shared.
 */
public final class Generator {
    /** Prompt tokens per forward call: large enough for matrix-matrix efficiency, small enough to bound scratch memory. */
    public static final int DEFAULT_PROMPT_BATCH = 128;

    /** Receives each generated token; return false to stop (e.g. a stop string matched). */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int token, float[] logits);
    }

    /** Why generation ended. */
    public enum StopReason { END_OF_GENERATION, MAX_TOKENS, LISTENER }

    /** Outcome: generated tokens (the end token included when it stopped on one), and the reason. */
    public record Result(int[] tokens, StopReason reason, long promptNanos, long decodeNanos) {
    }

    private final DecoderModel model;
    private final ThreadPool pool;
    private final int promptBatch;

    public Generator(DecoderModel model, ThreadPool pool) {
        this(model, pool, DEFAULT_PROMPT_BATCH);
    }

    public Generator(DecoderModel model, ThreadPool pool, int promptBatch) {
        if (promptBatch < 1) {
            throw new IllegalArgumentException("prompt batch must be >= 1, got " + promptBatch);
        }
        this.model = model;
        this.pool = pool;
        this.promptBatch = promptBatch;
    }

    public ThreadPool pool() {
        return pool;
    }

    /**
     * Feeds {@code tokens} into the cache; returns the logits after the last one.
     *
     * @param allLogits when non-null, receives logits of every prompt position [n, vocab]
     */
    public float[] prefill(int[] tokens, KvCache cache, float[] allLogits) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prompt is empty");
        }
        int vocab = model.config().vocab();
        float[] last = null;
        for (int start = 0; start < tokens.length; start += promptBatch) {
            int n = Math.min(promptBatch, tokens.length - start);
            int[] chunk = Arrays.copyOfRange(tokens, start, start + n);
            float[] logits = model.forward(pool, chunk, n, cache, allLogits != null);
            if (allLogits != null) {
                System.arraycopy(logits, 0, allLogits, start * vocab, n * vocab);
                last = Arrays.copyOfRange(logits, (n - 1) * vocab, n * vocab);
            } else {
                last = logits;
            }
        }
        return last;
    }

    /**
     * Generates after {@code prompt}, at most {@code maxTokens} tokens.
     *
     * @param isEndOfGeneration true for tokens that end generation (EOS, EOT, …)
     */
    public Result generate(int[] prompt, KvCache cache, Sampler sampler, int maxTokens, IntPredicate isEndOfGeneration,
                           TokenListener listener) {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
        long t0 = System.nanoTime();
        float[] logits = prefill(prompt, cache, null);
        long t1 = System.nanoTime();
        // Sized by what the cache can hold, not by maxTokens (which may be Integer.MAX_VALUE): generation cannot go
        // past the context, the forward after the last position that fits throws ContextOverflowException.
        int room = (int) Math.min(maxTokens, Math.max(0L, (long) cache.capacity() - cache.length()) + 1); // the prompt is in the cache
        int[] history = Arrays.copyOf(prompt, prompt.length + room);
        int historyLen = prompt.length;
        int[] out = new int[room];
        int produced = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        int vocab = model.config().vocab();
        while (produced < maxTokens) {
            int token = sampler.sample(logits, 0, vocab, history, historyLen);
            out[produced++] = token;
            history[historyLen++] = token;
            boolean keepGoing = listener == null || listener.onToken(token, logits);
            if (isEndOfGeneration.test(token)) {
                reason = StopReason.END_OF_GENERATION;
                break;
            }
            if (!keepGoing) {
                reason = StopReason.LISTENER;
                break;
            }
            if (produced == maxTokens) {
                break;
            }
            logits = model.forward(pool, new int[] {token}, 1, cache, false);
        }
        long t2 = System.nanoTime();
        return new Result(Arrays.copyOf(out, produced), reason, t1 - t0, t2 - t1);
    }
}
