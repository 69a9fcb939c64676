package dev.smelt.compress.quality;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Workload;
import dev.smelt.tensor.ThreadPool;

/**
 * Perplexity exactly as llama.cpp's {@code llama-perplexity} computes it (see {@link ChunkScorer}):
 * PPL = exp(mean NLL) over the second halves of all whole chunks, NLL summed in double.
 */
public final class Perplexity {

    /**
     * @param ppl       perplexity
     * @param pplError  standard error of the PPL estimate (delta method on the mean NLL)
     * @param chunks    chunks scored
     * @param scored    predictions scored
     */
    public record Result(double ppl, double pplError, int chunks, long scored) {
    }

    private Perplexity() {
    }

    /**
     * What to load a model for before running chunks of {@code ctx} through it (perplexity, KL divergence,
     * importance matrix, calibration): the block products are batches of min(ctx, {@link ChunkScorer#BATCH})
     * tokens (plus one shorter remainder per chunk), so the integer decode kernels take the bulk of them only
     * when {@code -Dsmelt.repack.maxBatch} admits that size ({@link Workload#forRows}); otherwise repacked
     * copies would serve at most the remainders.
     */
    public static Workload workload(int ctx) {
        return Workload.forRows(Math.min(ctx, ChunkScorer.BATCH));
    }

    /**
     * @param tokens the tokenized text (with BOS first when the vocabulary adds it, as llama.cpp tokenizes)
     * @param ctx    chunk size (llama.cpp {@code -c})
     * @param bos    BOS id put at each chunk start, or −1 when the vocabulary adds no BOS
     */
    public static Result compute(DecoderModel m, ThreadPool pool, int[] tokens, int ctx, int bos) {
        validate(tokens.length, ctx);
        int chunks = ChunkScorer.chunkCount(tokens.length, ctx);
        int vocab = m.config().vocab();
        int first = ChunkScorer.firstScored(ctx);
        double[] lp = new double[vocab];
        double sum = 0;
        double sum2 = 0;
        long count = 0;
        for (int c = 0; c < chunks; c++) {
            float[] logits = ChunkScorer.scoredLogits(m, pool, tokens, c, ctx, bos);
            for (int r = 0; r < ctx - 1 - first; r++) {
                ChunkScorer.logSoftmax(logits, r, vocab, lp);
                double nll = -lp[tokens[c * ctx + first + r + 1]];
                sum += nll;
                sum2 += nll * nll;
                count++;
            }
        }
        double mean = sum / count;
        double var = Math.max(0, sum2 / count - mean * mean);
        double ppl = Math.exp(mean);
        return new Result(ppl, ppl * Math.sqrt(var / Math.max(1, count - 1)), chunks, count);
    }

    static void validate(int tokens, int ctx) {
        if (ctx < 4) {
            throw new IllegalArgumentException("context must be >= 4 tokens, got " + ctx);
        }
        if (tokens < ctx) {
            throw new IllegalArgumentException("the text has " + tokens + " tokens, fewer than one chunk of " + ctx
                    + " (use a longer text or a smaller --ctx)");
        }
    }
}
