package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q4_K, mirroring ggml's {@code quantize_row_q4_K_ref} ({@code make_qkx2_quants(32, 15, …, −1, 0.1, 20)})
 * without importance and {@code quantize_row_q4_K_impl} with it, as {@code quantize_q4_K} routes (see
 * {@link KQuant45}).
 *
 * <p>Super-block of 256 values, 144 bytes: bytes 0–1 d (fp16); 2–3 dmin (fp16); 4–15 eight 6-bit scales
 * and mins ({@link KScaleMin}); 16–143 qs: for each 64-value chunk c (32 bytes), byte l holds element
 * 64c + l in the low nibble and 64c + 32 + l in the high nibble. Value = d·scale·q − dmin·min, with
 * (scale, min) of the element's 32-group. Thread-safe (stateless).
 */
public final class Q4_KQuantizer extends AbstractQuantizer {
    public Q4_KQuantizer() {
        super(GgmlType.Q4_K);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        byte[] L = new byte[256];
        for (int i = 0; i < n / 256; i++) {
            int xb = xo + 256 * i;
            int yb = yo + 144 * i;
            KQuant45.quantizeSuperBlock(x, xb, qw, 256 * i, 15, -1.f, 0.1f, 20, L, y, yb);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; ++l) {
                    y[yb + 16 + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + l + 32] << 4));
                }
            }
        }
    }
}
