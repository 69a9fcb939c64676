package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q4_1. Without importance ggml's {@code quantize_row_q4_1_ref} (d = (max − min)/15, m = min); with it
 * {@code quantize_row_q4_1_impl} ({@code make_qkx3_quants(32, 15, …, −0.9, 0.05, 36)} with weights
 * imatrix[j]·sqrt(σ² + x[j]²)), as {@code quantize_q4_1} routes.
 *
 * <p>Block of 32 values, 20 bytes: bytes 0–1 d (fp16 LE); bytes 2–3 m (fp16 LE); bytes 4–19 qs[j]:
 * element j in the low nibble, element j+16 in the high nibble. Dequantized value = d·nibble + m.
 * Thread-safe (stateless).
 */
public final class Q4_1Quantizer extends AbstractQuantizer {
    public Q4_1Quantizer() {
        super(GgmlType.Q4_1);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        if (qw == null) {
            for (int b = 0; b < n / 32; b++) {
                int xb = xo + 32 * b;
                int yb = yo + 20 * b;
                float min = Block32.min(x, xb);
                float d = (Block32.max(x, xb) - min) / ((1 << 4) - 1);
                float id = d != 0 ? 1.0f / d : 0.0f;
                QuantMath.putFp16(y, yb, d);
                QuantMath.putFp16(y, yb + 2, min);
                for (int j = 0; j < 16; ++j) {
                    float x0 = (x[xb + j] - min) * id;
                    float x1 = (x[xb + 16 + j] - min) * id;
                    int xi0 = Math.min(15, (byte) (int) (x0 + 0.5f));
                    int xi1 = Math.min(15, (byte) (int) (x1 + 0.5f));
                    y[yb + 4 + j] = (byte) (xi0 | (xi1 << 4));
                }
            }
            return;
        }
        Block32.importanceMinBlocks(x, xo, n, qw, 15, (ib, d, m, L) -> {
            int yb = yo + 20 * ib;
            QuantMath.putFp16(y, yb, d);
            QuantMath.putFp16(y, yb + 2, m);
            Block32.putNibbles(L, y, yb + 4);
        });
    }
}
