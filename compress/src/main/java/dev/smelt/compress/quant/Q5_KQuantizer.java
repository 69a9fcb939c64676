package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q5_K, mirroring ggml's {@code quantize_row_q5_K_ref} ({@code make_qkx2_quants(32, 31, …, −0.5, 0.1, 15)})
 * without importance and {@code quantize_row_q5_K_impl} with it, as {@code quantize_q5_K} routes (see
 * {@link KQuant45}).
 *
 * <p>Super-block of 256 values, 176 bytes: bytes 0–1 d (fp16); 2–3 dmin (fp16); 4–15 scales/mins
 * ({@link KScaleMin}); 16–47 qh: bit 2c of byte l is bit 4 of element 64c + l, bit 2c+1 that of element
 * 64c + 32 + l; 48–175 ql: as Q4_K's qs (low 4 bits). Value = d·scale·q − dmin·min, q in [0, 31].
 * Thread-safe (stateless).
 */
public final class Q5_KQuantizer extends AbstractQuantizer {
    public Q5_KQuantizer() {
        super(GgmlType.Q5_K);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        byte[] L = new byte[256];
        for (int i = 0; i < n / 256; i++) {
            int xb = xo + 256 * i;
            int yb = yo + 176 * i;
            KQuant45.quantizeSuperBlock(x, xb, qw, 256 * i, 31, -0.5f, 0.1f, 15, L, y, yb);
            for (int k = 0; k < 32; k++) {
                y[yb + 16 + k] = 0;
            }
            int m1 = 1;
            int m2 = 2;
            for (int c = 0; c < 4; c++) {
                for (int j = 0; j < 32; ++j) {
                    int l1 = L[64 * c + j];
                    if (l1 > 15) {
                        l1 -= 16;
                        y[yb + 16 + j] = (byte) (y[yb + 16 + j] | m1);
                    }
                    int l2 = L[64 * c + j + 32];
                    if (l2 > 15) {
                        l2 -= 16;
                        y[yb + 16 + j] = (byte) (y[yb + 16 + j] | m2);
                    }
                    y[yb + 48 + 32 * c + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
            }
        }
    }
}
