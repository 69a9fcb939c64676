package dev.smelt.model.arch;

import dev.smelt.model.WeightMatrix;
import java.util.List;

/**
 * The operations a decoder block is written in, once, for every engine that runs it: the inference
 * engine implements them with its kernels over a KV cache ({@link KernelOps}), the trainer with taped,
 * differentiable ops that add LoRA deltas to the projections ({@code dev.smelt.train.model.TapedOps}).
 * An architecture's {@link DecoderModel#block} composes them (through the builders in {@link Blocks}),
 * so both engines run exactly the same definition.
 *
 * <p>Values of {@code T} are row-major activations [rows, width], one row per token of the step. Every
 * op returns a new value and never changes its inputs (the trainer keeps them for backward); an
 * implementation may reuse buffers that no later op can see. Which tokens, positions and caches the
 * rows stand for is the implementation's context, not the block's.
 *
 * @param <T> the engine's activation type
 */
public interface DecoderOps<T> {

    /** Rows of {@code table} for the step's tokens, times {@code scale}: [rows, table.cols()]. */
    T embed(WeightMatrix table, float scale);

    /**
     * RMSNorm over consecutive groups of {@code group} columns (the row width for block norms, head_dim
     * for per-head q/k norms): y = x / √(mean(x²) + eps) · weight.
     *
     * @param weight [group]
     */
    T rmsNorm(T x, float[] weight, int group);

    /** y = x·Wᵀ (+ bias) of projection {@code p}: [rows, p.rows()]. The trainer adds its LoRA deltas here. */
    T linear(T x, Proj p);

    /** Column blocks of the given widths (a fused projection's outputs), in order; the widths sum to x's width. */
    List<T> split(T x, int... widths);

    /** Rotary embedding of every head of every row at the row's position. */
    T rope(T x, AttentionSpec.RopeSpec rope);

    /**
     * Causal (optionally sliding-window) grouped-query attention of queries q against the keys k and values v
     * of the same rows and, in inference, of the positions already cached: [rows, heads·headDim].
     */
    T attention(T q, T k, T v, AttentionSpec spec);

    /** act(gate) ⊙ up. */
    T gated(T gate, T up, Activation act);

    /** a + b (a residual connection). */
    T add(T a, T b);
}
