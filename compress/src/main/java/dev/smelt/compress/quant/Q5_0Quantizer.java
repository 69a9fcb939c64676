package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q5_0. Without importance ggml's {@code quantize_row_q5_0_ref} (d = max/−16, truncating x/d + 16.5);
 * with it {@code quantize_row_q5_0_impl} ({@code make_qx_quants(32, 16, …, rmse_type 1)} with weights
 * imatrix[j]·sqrt(σ² + x[j]²)), as {@code quantize_q5_0} routes.
 *
 * <p>Block of 32 values, 22 bytes: bytes 0–1 d (fp16 LE); bytes 2–5 qh (u32 LE), bit j = bit 4 of
 * element j (j = 0..31); bytes 6–21 qs[j]: low 4 bits of element j (low nibble) and of element j+16
 * (high nibble). Dequantized value = d·(q − 16), q in [0, 31]. Thread-safe (stateless).
 */
public final class Q5_0Quantizer extends AbstractQuantizer {
    public Q5_0Quantizer() {
        super(GgmlType.Q5_0);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        if (qw == null) {
            int[] q = new int[32];
            for (int b = 0; b < n / 32; b++) {
                int xb = xo + 32 * b;
                float d = QuantMath.absMax(x, xb, 32) / -16;
                float id = d != 0 ? 1.0f / d : 0.0f;
                for (int j = 0; j < 32; ++j) {
                    q[j] = Math.min(31, (byte) (int) (x[xb + j] * id + 16.5f));
                }
                pack(d, q, y, yo + 22 * b);
            }
            return;
        }
        float sigma2 = Block32.sigma2(x, xo, n);
        float[] weight = new float[32];
        byte[] L = new byte[32];
        int[] q = new int[32];
        for (int ib = 0; ib < n / 32; ++ib) {
            int xb = xo + 32 * ib;
            Block32.weights(qw, ib, x, xb, sigma2, weight);
            float d = QuantMath.makeQxQuants(32, 16, x, xb, L, 0, 1, weight, 0);
            for (int j = 0; j < 32; ++j) {
                q[j] = L[j] & 0xFF;
            }
            pack(d, q, y, yo + 22 * ib);
        }
    }

    /** Writes one block from its scale and 5-bit levels q[0..32). */
    private static void pack(float d, int[] q, byte[] y, int yb) {
        QuantMath.putFp16(y, yb, d);
        Block32.put5(q, y, yb + 2, yb + 6);
    }
}
