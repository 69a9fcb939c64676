package dev.smelt.model.arch;

import dev.smelt.model.Linear;

/**
 * Weights of one decoder block. Optional pieces are null when an architecture lacks them.
 * Immutable after load; thread-safe.
 */
final class Layer {
    float[] attnNorm;          // [dim]
    Linear wq;           // [qDim, dim]
    Linear wk;           // [kvDim, dim]
    Linear wv;           // [kvDim, dim]
    Linear wqkv;         // [qDim + 2·kvDim, dim] (phi3: fused q|k|v), else null
    float[] bq;                // [qDim] (qwen2 biases) or null
    float[] bk;                // [kvDim] or null
    float[] bv;                // [kvDim] or null
    float[] qNorm;             // [headDim] per-head RMSNorm (qwen3, gemma3) or null
    float[] kNorm;             // [headDim] or null
    Linear wo;           // [dim, qDim]
    float[] postAttnNorm;      // [dim] (gemma3) or null
    float[] ffnNorm;           // [dim]
    Linear wGate;        // [ffn, dim] or null when fused
    Linear wUp;          // [ffn, dim], or [2·ffn, dim] gate|up fused (phi3) when wGate is null
    Linear wDown;        // [dim, ffn]
    float[] postFfnNorm;       // [dim] (gemma3) or null
    boolean slidingWindow;     // attends to the last n_swa positions only
}
