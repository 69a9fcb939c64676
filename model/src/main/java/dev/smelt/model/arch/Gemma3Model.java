package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.ops.Rope;

/**
 * gemma3: embeddings scaled by √dim, per-head q/k RMSNorm, post-attention and post-FFN RMSNorm
 * before each residual add (sandwich blocks), GELU(tanh)-gated FFN, NEOX rope, tied output.
 * Sliding-window layers follow the pattern of {@code gemma3.attention.sliding_window_pattern}
 * (default 6: every 6th layer is global) and use rope base 10000. (GGUF norm weights already
 * include Gemma's +1.)
 */
public final class Gemma3Model extends DecoderModel {
    private static final int DEFAULT_SWA_PATTERN = 6;
    private final Blocks.Sandwich[] layers;

    public Gemma3Model(GgufFile file, ModelConfig config, Workload workload) {
        super(file, config, Rope.Kind.NEOX, workload);
        ModelConfig c = config;
        int pattern = file.getInt(c.architecture() + ".attention.sliding_window_pattern", DEFAULT_SWA_PATTERN);
        layers = new Blocks.Sandwich[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            boolean sliding = c.slidingWindow() > 0 && (pattern <= 0 || (i + 1) % pattern != 0);
            Blocks.SelfAttention attn = new Blocks.SelfAttention(proj(i, "attn_q", c.dim(), c.qDim()), proj(i, "attn_k", c.dim(), c.kvDim()),
                    proj(i, "attn_v", c.dim(), c.kvDim()), null, norm(i, "attn_q_norm", c.headDim()), norm(i, "attn_k_norm", c.headDim()),
                    proj(i, "attn_output", c.qDim(), c.dim()), attention(i, sliding));
            layers[i] = new Blocks.Sandwich(norm(i, "attn_norm", c.dim()), attn, norm(i, "post_attention_norm", c.dim()),
                    norm(i, "ffn_norm", c.dim()), gatedFfn(i, Activation.GELU_TANH), norm(i, "post_ffw_norm", c.dim()));
        }
    }

    @Override
    public <T> T embed(DecoderOps<T> ops) {
        return ops.embed(tokenEmbedding, (float) Math.sqrt(config.dim()));
    }

    @Override
    public <T> T block(DecoderOps<T> ops, int layer, T x) {
        return layers[layer].apply(ops, x);
    }
}
