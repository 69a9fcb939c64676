package dev.smelt.tensor.ops;

/**
 * Neural-network row operations of the decoder (normalization, activations, softmax, RoPE), in
 * float32 as ggml's CPU backend computes them. Stateless, thread-safe.
 */
public final class Nn {
    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    private static final float GELU_COEF_A = 0.044715f;

    private Nn() {
    }

    /** out = x / sqrt(mean(x²) + eps) · w (w may be null for no scale). Sum in double like ggml (ggml_float). */
    public static void rmsNorm(float[] x, int xOff, float[] w, float eps, float[] out, int outOff, int n) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double v = x[xOff + i];
            ss += v * v;
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        if (w == null) {
            for (int i = 0; i < n; i++) {
                out[outOff + i] = x[xOff + i] * scale;
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[outOff + i] = x[xOff + i] * scale * w[i];
            }
        }
    }

    /** SiLU(x) = x·σ(x). */
    public static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }

    /** GELU, tanh approximation (ggml_gelu). */
    public static float geluTanh(float x) {
        return 0.5f * x * (1.0f + (float) Math.tanh(SQRT_2_OVER_PI * x * (1.0f + GELU_COEF_A * x * x)));
    }

    /** In-place softmax over x[off..off+n); returns nothing, handles -inf entries. */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    /** x = cap · tanh(x / cap) (Gemma soft-capping). */
    public static void softcap(float[] x, int off, int n, float cap) {
        for (int i = 0; i < n; i++) {
            x[off + i] = cap * (float) Math.tanh(x[off + i] / cap);
        }
    }
}
