package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q4_0. Without importance this is ggml's {@code quantize_row_q4_0_ref}; with it,
 * {@code quantize_row_q4_0_impl} (weights imatrix[j]·sqrt(σ² + x[j]²), σ² = mean x² over the row,
 * scale searched by {@code make_qx_quants(32, 8, …, rmse_type 1)}), exactly as {@code quantize_q4_0}
 * routes.
 *
 * <p>Block of 32 values, 18 bytes: bytes 0–1 d (fp16 LE); bytes 2–17 qs[j] for j = 0..15 hold element j
 * in the low nibble and element j+16 in the high nibble, each stored as q + 8 (q in [-8, 7]).
 * Dequantized value = d·(nibble − 8). The reference path sets d = max/−8 where max is the value of
 * largest magnitude (sign kept) and truncates x/d + 8.5 toward zero. Thread-safe (stateless).
 */
public final class Q4_0Quantizer extends AbstractQuantizer {
    public Q4_0Quantizer() {
        super(GgmlType.Q4_0);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        if (qw == null) {
            quantizeRef(x, xo, n, y, yo);
            return;
        }
        float sigma2 = Block32.sigma2(x, xo, n);
        float[] weight = new float[32];
        byte[] L = new byte[32];
        for (int ib = 0; ib < n / 32; ++ib) {
            int xb = xo + 32 * ib;
            int yb = yo + 18 * ib;
            Block32.weights(qw, ib, x, xb, sigma2, weight);
            float d = QuantMath.makeQxQuants(32, 8, x, xb, L, 0, 1, weight, 0);
            QuantMath.putFp16(y, yb, d);
            Block32.putNibbles(L, y, yb + 2);
        }
    }

    private static void quantizeRef(float[] x, int xo, int n, byte[] y, int yo) {
        for (int b = 0; b < n / 32; b++) {
            int xb = xo + 32 * b;
            int yb = yo + 18 * b;
            float d = QuantMath.absMax(x, xb, 32) / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putFp16(y, yb, d);
            for (int j = 0; j < 16; ++j) {
                float x0 = x[xb + j] * id;
                float x1 = x[xb + 16 + j] * id;
                int xi0 = Math.min(15, (byte) (int) (x0 + 8.5f));
                int xi1 = Math.min(15, (byte) (int) (x1 + 8.5f));
                y[yb + 2 + j] = (byte) (xi0 | (xi1 << 4));
            }
        }
    }
}
