package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/**
 * gemma3: embeddings scaled by √dim, per-head q/k RMSNorm, post-attention and post-FFN RMSNorm
 * before each residual add, GELU(tanh)-gated FFN, NEOX rope, tied output. Sliding-window layers follow
 * the pattern of {@code gemma3.attention.sliding_window_pattern} (default 6: every 6th layer is global)
 * and use rope base 10000. (GGUF norm weights already include Gemma's +1.)
 */
public final class Gemma3Model extends DecoderModel {
    private static final int DEFAULT_SWA_PATTERN = 6;

    public Gemma3Model(GgufFile file, ModelConfig config) {
        super(file, config);
    }

    @Override
    protected Rope.Kind ropeKind() {
        return Rope.Kind.NEOX;
    }

    @Override
    protected Activation activation() {
        return Activation.GELU_TANH;
    }

    @Override
    protected float embeddingScale() {
        return (float) Math.sqrt(config.dim());
    }

    @Override
    protected Layer loadLayer(int i) {
        ModelConfig c = config;
        Layer l = new Layer();
        l.attnNorm = vector(blk(i, "attn_norm.weight"), c.dim());
        l.wq = linear(blk(i, "attn_q.weight"), c.dim(), c.qDim());
        l.wk = linear(blk(i, "attn_k.weight"), c.dim(), c.kvDim());
        l.wv = linear(blk(i, "attn_v.weight"), c.dim(), c.kvDim());
        l.qNorm = vector(blk(i, "attn_q_norm.weight"), c.headDim());
        l.kNorm = vector(blk(i, "attn_k_norm.weight"), c.headDim());
        l.wo = linear(blk(i, "attn_output.weight"), c.qDim(), c.dim());
        l.postAttnNorm = vector(blk(i, "post_attention_norm.weight"), c.dim());
        l.ffnNorm = vector(blk(i, "ffn_norm.weight"), c.dim());
        l.wGate = linear(blk(i, "ffn_gate.weight"), c.dim(), c.ffnDim());
        l.wUp = linear(blk(i, "ffn_up.weight"), c.dim(), c.ffnDim());
        l.wDown = linear(blk(i, "ffn_down.weight"), c.ffnDim(), c.dim());
        l.postFfnNorm = vector(blk(i, "post_ffw_norm.weight"), c.dim());
        l.slidingWindow = c.slidingWindow() > 0 && isSlidingLayer(i);
        return l;
    }

    private boolean isSlidingLayer(int i) {
        int pattern = file.getInt(config.architecture() + ".attention.sliding_window_pattern", DEFAULT_SWA_PATTERN);
        return pattern <= 0 || (i + 1) % pattern != 0;
    }
}
