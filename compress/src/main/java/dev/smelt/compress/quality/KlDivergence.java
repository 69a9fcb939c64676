package dev.smelt.compress.quality;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.tensor.ThreadPool;

/**
 * How far a compressed model's next-token distributions drift from its base model's, on llama.cpp's
 * perplexity chunks ({@code llama-perplexity --kl-divergence}): mean KL(base ‖ other) per scored
 * position, the share of positions where both pick the same top-1 token, and both perplexities.
 */
public final class KlDivergence {

    /**
     * @param meanKld        mean KL divergence (nats)
     * @param kldError       standard error of the mean
     * @param top1Agreement  fraction in [0, 1] of positions with the same argmax
     */
    public record Result(double meanKld, double kldError, double top1Agreement, double pplBase, double pplOther,
                         int chunks, long scored) {
        public double deltaPpl() {
            return pplOther - pplBase;
        }
    }

    private KlDivergence() {
    }

    public static Result compute(DecoderModel base, DecoderModel other, ThreadPool pool, int[] tokens, int ctx, int bos) {
        Perplexity.validate(tokens.length, ctx);
        int vocab = base.config().vocab();
        if (other.config().vocab() != vocab) {
            throw new IllegalArgumentException("vocabularies differ: base has " + vocab + " tokens, other has " + other.config().vocab());
        }
        int chunks = ChunkScorer.chunkCount(tokens.length, ctx);
        int first = ChunkScorer.firstScored(ctx);
        double[] lb = new double[vocab];
        double[] lo = new double[vocab];
        double kl = 0;
        double kl2 = 0;
        double nllBase = 0;
        double nllOther = 0;
        long same = 0;
        long count = 0;
        for (int c = 0; c < chunks; c++) {
            float[] a = ChunkScorer.scoredLogits(base, pool, tokens, c, ctx, bos);
            float[] b = ChunkScorer.scoredLogits(other, pool, tokens, c, ctx, bos);
            for (int r = 0; r < ctx - 1 - first; r++) {
                ChunkScorer.logSoftmax(a, r, vocab, lb);
                ChunkScorer.logSoftmax(b, r, vocab, lo);
                double d = 0;
                int argA = 0;
                int argB = 0;
                for (int i = 0; i < vocab; i++) {
                    d += Math.exp(lb[i]) * (lb[i] - lo[i]);
                    if (lb[i] > lb[argA]) {
                        argA = i;
                    }
                    if (lo[i] > lo[argB]) {
                        argB = i;
                    }
                }
                int target = tokens[c * ctx + first + r + 1];
                nllBase -= lb[target];
                nllOther -= lo[target];
                kl += d;
                kl2 += d * d;
                same += argA == argB ? 1 : 0;
                count++;
            }
        }
        double mean = kl / count;
        double var = Math.max(0, kl2 / count - mean * mean);
        return new Result(mean, Math.sqrt(var / Math.max(1, count - 1)), same / (double) count,
                Math.exp(nllBase / count), Math.exp(nllOther / count), chunks, count);
    }
}
