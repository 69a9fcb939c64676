package dev.smelt.model.arch;

import dev.smelt.tensor.ops.Nn;

/** Gated feed-forward activations: out = act(gate) · up. Stateless, thread-safe. */
public enum Activation {
    /** SwiGLU (llama, qwen, phi3). */
    SILU {
        @Override
        public float apply(float x) {
            return Nn.silu(x);
        }
    },
    /** GeGLU with tanh-approximated GELU (gemma). */
    GELU_TANH {
        @Override
        public float apply(float x) {
            return Nn.geluTanh(x);
        }
    };

    public abstract float apply(float x);
}
