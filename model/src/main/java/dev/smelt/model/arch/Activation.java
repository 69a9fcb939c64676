package dev.smelt.model.arch;

import dev.smelt.tensor.ops.Nn;

/** Gated feed-forward activations: out = act(gate) · up. */
enum Activation {
    SILU {
        @Override
        float apply(float x) {
            return Nn.silu(x);
        }
    },
    GELU_TANH {
        @Override
        float apply(float x) {
            return Nn.geluTanh(x);
        }
    };

    abstract float apply(float x);
}
