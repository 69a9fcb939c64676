package dev.smelt.model;

import dev.smelt.tensor.ThreadPool;

/**
 * A linear projection y = W·x with W of shape [rows, cols]. The plain case is a {@link WeightMatrix}
 * over the memory mapping; wrappers add a LoRA delta or replace W by low-rank factors without the
 * decoder knowing. Implementations are immutable and thread-safe.
 */
public interface Linear {

    /** Name of the base tensor (e.g. {@code blk.0.attn_q.weight}); observers and adapters key on it. */
    String name();

    /** Output features. */
    int rows();

    /** Input features. */
    int cols();

    /** out[b, r] = Σ_c W[r, c] · x[b, c]; x is [batch, cols], out is [batch, rows] (overwritten). */
    void matmul(ThreadPool pool, float[] x, int batch, float[] out);

    /**
     * The same product inside a forward step over {@code rows} (x's row b is {@code rows}' row b): a
     * projection that depends on the sequence, such as a per-request LoRA adapter, reads each row's
     * {@link SequenceBatch#adapter adapter} here. Plain projections ignore {@code rows}.
     */
    default void matmul(ThreadPool pool, float[] x, int batch, float[] out, SequenceBatch rows) {
        matmul(pool, x, batch, out);
    }
}
