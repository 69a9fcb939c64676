package dev.smelt.model.encoder;

import dev.smelt.model.Linear;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.VectorOps;

/**
 * BERT encoder forward pass in float32 (Hugging Face {@code BertModel}): embeddings (word + position +
 * token type, LayerNorm), then per block multi-head self-attention and a GELU(erf) FFN, each followed by
 * residual + LayerNorm (post-norm), then mean or [CLS] pooling.
 *
 * <p>Several sequences are processed together <em>packed</em>: their tokens are concatenated into one
 * [tokens, hidden] matrix so every projection is one matrix-matrix product over all of them, while attention
 * runs per sequence. Packing is the exact equivalent of padding plus an attention mask (no token attends
 * across sequences, pooling sees only real tokens) without computing the padding.
 *
 * <p>Thread-safety: the weights are immutable; {@link #encode} allocates its own buffers and may be called
 * concurrently (the pool serializes the parallel loops).
 */
public final class BertModel {
    private final BertWeights w;
    private final BertConfig c;

    public BertModel(BertWeights weights) {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        this.w = weights;
        this.c = weights.config();
    }

    public BertConfig config() {
        return c;
    }

    /**
     * Pooled vectors of several token sequences, not normalized (callers combine windows of long texts first).
     *
     * @param sequences token ids, each with its [CLS] … [SEP], at most maxPositions long
     * @return [sequences.length][hidden]
     */
    public float[][] encode(ThreadPool pool, int[][] sequences) {
        int[] starts = new int[sequences.length + 1];
        for (int s = 0; s < sequences.length; s++) {
            int n = sequences[s].length;
            if (n == 0 || n > c.maxPositions()) {
                throw new IllegalArgumentException("sequence " + s + " has " + n + " tokens; allowed 1.." + c.maxPositions());
            }
            starts[s + 1] = starts[s] + n;
        }
        float[] x = hiddenStates(pool, sequences, starts);
        float[][] out = new float[sequences.length][];
        int h = c.hidden();
        for (int s = 0; s < sequences.length; s++) {
            float[] v = new float[h];
            if (c.pooling() == Pooling.CLS) {
                System.arraycopy(x, starts[s] * h, v, 0, h);
            } else {
                for (int t = starts[s]; t < starts[s + 1]; t++) {
                    VectorOps.axpy(1f, x, t * h, v, 0, h);
                }
                float inv = 1f / (starts[s + 1] - starts[s]);
                for (int i = 0; i < h; i++) {
                    v[i] *= inv;
                }
            }
            out[s] = v;
        }
        return out;
    }

    /** Last hidden states [tokens, hidden] of the packed sequences (starts[s] = first row of sequence s). */
    float[] hiddenStates(ThreadPool pool, int[][] sequences, int[] starts) {
        int tokens = starts[sequences.length];
        int h = c.hidden();
        float[] x = new float[tokens * h];       // [tokens, hidden] residual stream
        embed(sequences, starts, x);
        float[] q = new float[tokens * h];       // [tokens, hidden]
        float[] k = new float[tokens * h];
        float[] v = new float[tokens * h];
        float[] ctx = new float[tokens * h];     // attention output before its projection
        float[] tmp = new float[tokens * h];
        float[] ffn = new float[tokens * c.intermediate()]; // [tokens, intermediate]
        for (BertWeights.Block b : w.blocks()) {
            project(pool, b.query(), x, tokens, b.qBias(), q);
            project(pool, b.key(), x, tokens, b.kBias(), k);
            project(pool, b.value(), x, tokens, b.vBias(), v);
            attention(pool, q, k, v, ctx, starts, sequences.length);
            project(pool, b.attnOut(), ctx, tokens, b.oBias(), tmp);
            residualNorm(pool, x, tmp, b.attnNormWeight(), b.attnNormBias(), tokens);
            project(pool, b.up(), x, tokens, b.upBias(), ffn);
            int inter = c.intermediate();
            pool.parallelFor(tokens, t -> EncoderOps.gelu(ffn, t * inter, inter));
            project(pool, b.down(), ffn, tokens, b.downBias(), tmp);
            residualNorm(pool, x, tmp, b.ffnNormWeight(), b.ffnNormBias(), tokens);
        }
        return x;
    }

    private void embed(int[][] sequences, int[] starts, float[] x) {
        int h = c.hidden();
        for (int s = 0; s < sequences.length; s++) {
            for (int p = 0; p < sequences[s].length; p++) {
                int id = sequences[s][p];
                if (id < 0 || id >= c.vocab()) {
                    throw new IllegalArgumentException("sequence " + s + " position " + p + ": token id " + id
                            + " outside the vocabulary [0, " + c.vocab() + ")");
                }
                int o = (starts[s] + p) * h;
                for (int i = 0; i < h; i++) {
                    // token type 0 throughout: single-sentence inputs
                    x[o + i] = w.wordEmbeddings()[id * h + i] + w.positionEmbeddings()[p * h + i] + w.typeEmbeddings()[i];
                }
                EncoderOps.layerNorm(x, o, h, w.embNormWeight(), w.embNormBias(), c.layerNormEps());
            }
        }
    }

    /** out = x·Wᵀ + bias; the bias is fused into the packed kernel when W is packed. */
    private static void project(ThreadPool pool, Linear w, float[] x, int tokens, float[] bias, float[] out) {
        if (w instanceof PackedLinear p) {
            p.matmulBias(pool, x, tokens, bias, out);
        } else {
            w.matmul(pool, x, tokens, out);
            EncoderOps.addBias(out, tokens, w.rows(), bias);
        }
    }

    /** x = LayerNorm(x + delta) row by row (delta already holds its bias). */
    private void residualNorm(ThreadPool pool, float[] x, float[] delta, float[] nw, float[] nb, int tokens) {
        int h = c.hidden();
        pool.parallelFor(tokens, t -> {
            int o = t * h;
            for (int i = 0; i < h; i++) {
                x[o + i] += delta[o + i];
            }
            EncoderOps.layerNorm(x, o, h, nw, nb, c.layerNormEps());
        });
    }

    /** ctx = softmax(q·kᵀ/√d)·v per sequence and head; tasks are (sequence, head) pairs. */
    private void attention(ThreadPool pool, float[] q, float[] k, float[] v, float[] ctx, int[] starts, int seqs) {
        int h = c.hidden();
        int heads = c.heads();
        int d = c.headDim();
        float scale = (float) (1.0 / Math.sqrt(d));
        pool.parallelFor(seqs * heads, task -> {
            int s = task / heads;
            EncoderAttention.head(q, k, v, ctx, h, (task % heads) * d, starts[s], starts[s + 1] - starts[s], d, scale);
        });
    }
}
