package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q5_1. Without importance ggml's {@code quantize_row_q5_1_ref} (d = (max − min)/31, m = min); with it
 * {@code quantize_row_q5_1_impl} ({@code make_qkx3_quants(32, 31, …, −0.9, 0.05, 36)}), as
 * {@code quantize_q5_1} routes.
 *
 * <p>Block of 32 values, 24 bytes: bytes 0–1 d (fp16 LE); bytes 2–3 m (fp16 LE); bytes 4–7 qh (u32 LE),
 * bit j = bit 4 of element j; bytes 8–23 qs[j]: low 4 bits of element j (low nibble) and j+16 (high).
 * Dequantized value = d·q + m. Thread-safe (stateless).
 */
public final class Q5_1Quantizer extends AbstractQuantizer {
    public Q5_1Quantizer() {
        super(GgmlType.Q5_1);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        int[] q = new int[32];
        if (qw == null) {
            for (int b = 0; b < n / 32; b++) {
                int xb = xo + 32 * b;
                float min = Block32.min(x, xb);
                float d = (Block32.max(x, xb) - min) / ((1 << 5) - 1);
                float id = d != 0 ? 1.0f / d : 0.0f;
                for (int j = 0; j < 32; ++j) {
                    // C: (uint8_t)(x0 + 0.5f), no clamp
                    q[j] = ((int) ((x[xb + j] - min) * id + 0.5f)) & 0xFF;
                }
                pack(d, min, q, y, yo + 24 * b);
            }
            return;
        }
        Block32.importanceMinBlocks(x, xo, n, qw, 31, (ib, d, m, L) -> {
            for (int j = 0; j < 32; ++j) {
                q[j] = L[j] & 0xFF;
            }
            pack(d, m, q, y, yo + 24 * ib);
        });
    }

    /** Writes one block from its scale, min and 5-bit levels q[0..32). */
    private static void pack(float d, float m, int[] q, byte[] y, int yb) {
        QuantMath.putFp16(y, yb, d);
        QuantMath.putFp16(y, yb + 2, m);
        Block32.put5(q, y, yb + 4, yb + 8);
    }
}
