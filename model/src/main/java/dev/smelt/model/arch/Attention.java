package dev.smelt.model.arch;

import dev.smelt.model.SequenceBatch;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.tensor.ops.Nn;
import dev.smelt.tensor.ops.VectorOps;

/**
 * Causal grouped-query attention of a batch of queries against each sequence's KV cache, optionally
 * restricted to a sliding window (a query at position p sees positions p − window < t ≤ p, as
 * llama.cpp's standard SWA mask). Parallel over (query, head) pairs. Stateless, thread-safe.
 */
final class Attention {
    private Attention() {
    }

    /**
     * @param q   [n, heads·headDim] roped queries; query b sits at batch.position(b) of batch.cache(b)
     * @param out [n, heads·headDim]
     */
    static void compute(ThreadPool pool, AttentionSpec spec, float[] q, SequenceBatch batch, float[] out) {
        int n = batch.size();
        int heads = spec.heads();
        int hd = spec.headDim();
        int qDim = spec.qDim();
        int kvDim = spec.kvDim();
        int group = heads / spec.kvHeads();
        int layer = spec.layer();
        int window = spec.window();
        float scale = spec.scale();
        float softcap = spec.softcap();
        pool.parallelFor(n * heads, task -> {
            int b = task / heads;
            int h = task % heads;
            int p = batch.position(b);
            float[] keys = batch.cache(b).keys(layer);     // [capacity, kvDim]
            float[] values = batch.cache(b).values(layer); // [capacity, kvDim]
            int start = window > 0 ? Math.max(0, p - window + 1) : 0;
            int len = p - start + 1;
            float[] scores = new float[len];
            int qOff = b * qDim + h * hd;
            int kvOff = (h / group) * hd;
            for (int t = 0; t < len; t++) {
                float sc = VectorOps.dot(q, qOff, keys, (start + t) * kvDim + kvOff, hd) * scale;
                scores[t] = softcap > 0 ? softcap * (float) Math.tanh(sc / softcap) : sc;
            }
            Nn.softmax(scores, 0, len);
            int oOff = b * qDim + h * hd;
            java.util.Arrays.fill(out, oOff, oOff + hd, 0f);
            for (int t = 0; t < len; t++) {
                VectorOps.axpy(scores[t], values, (start + t) * kvDim + kvOff, out, oOff, hd);
            }
        });
    }
}
