package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q3_K. Without importance ggml's {@code quantize_row_q3_K_ref} ({@code make_q3_quants(16, 4, …, rmse)}
 * per group, 6-bit scales relative to the largest-magnitude scale); with it
 * {@code quantize_row_q3_K_impl} (weights imatrix·sqrt(σ² + x²), σ² = 2·mean x²,
 * {@code make_qx_quants(16, 4, …)} per group and {@code make_qx_quants(16, 32, …)} for the scales), as
 * {@code quantize_q3_K} routes.
 *
 * <p>Super-block of 256 values, 110 bytes: bytes 0–31 hmask: bit b of byte m is the high bit (set =
 * level ≥ 4) of element 32·b + m; bytes 32–95 qs: low 2 bits, laid out as in Q2_K (byte l of half h holds
 * elements h·128 + l, +32, +64, +96); bytes 96–107 the 16 six-bit scales (stored + 32): low nibbles of
 * scales 0–7 in the low nibbles of bytes 0–7, of scales 8–15 in their high nibbles, the top 2 bits of
 * scale j in bits 2·(j/4) of byte 8 + j%4; bytes 108–109 d (fp16). Value = d·(scale − 32)·(q − 4).
 * Thread-safe (stateless).
 */
public final class Q3_KQuantizer extends AbstractQuantizer {
    private static final int QK = 256;
    private static final int BYTES = 110;

    public Q3_KQuantizer() {
        super(GgmlType.Q3_K);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        byte[] L = new byte[QK];
        float[] scales = new float[16];
        float[] weight = new float[16];
        float[] sw = new float[16];
        byte[] Ls = new byte[16];
        int[] packed = new int[12];
        for (int i = 0; i < n / QK; i++) {
            int xb = xo + QK * i;
            int yb = yo + BYTES * i;
            java.util.Arrays.fill(packed, 0);
            float dStored;
            if (qw == null) {
                float maxScale = 0;
                float amax = 0;
                for (int j = 0; j < 16; ++j) {
                    scales[j] = QuantMath.makeQ3Quants(16, 4, x, xb + 16 * j, L, 16 * j, true);
                    float scale = Math.abs(scales[j]);
                    if (scale > amax) {
                        amax = scale;
                        maxScale = scales[j];
                    }
                }
                if (maxScale != 0) {
                    float iscale = -32.f / maxScale;
                    for (int j = 0; j < 16; ++j) {
                        // C stores nearest_int into an int8_t before clamping
                        int l = (byte) QuantMath.nearestInt(iscale * scales[j]);
                        l = Math.max(-32, Math.min(31, l)) + 32;
                        packScale(packed, j, l);
                    }
                    dStored = 1 / iscale;
                } else {
                    dStored = 0.f;
                }
            } else {
                float sumx2 = 0;
                for (int j = 0; j < QK; ++j) {
                    sumx2 += x[xb + j] * x[xb + j];
                }
                float sigma2 = 2 * sumx2 / QK;
                for (int j = 0; j < 16; ++j) {
                    int q0 = QK * i + 16 * j;
                    for (int l = 0; l < 16; ++l) {
                        float v = x[xb + 16 * j + l];
                        weight[l] = qw[q0 + l] * (float) Math.sqrt(sigma2 + v * v);
                    }
                    float sumw = 0;
                    for (int l = 0; l < 16; ++l) {
                        sumw += weight[l];
                    }
                    sw[j] = sumw;
                    scales[j] = QuantMath.makeQxQuants(16, 4, x, xb + 16 * j, L, 16 * j, 1, weight, 0);
                }
                dStored = QuantMath.makeQxQuants(16, 32, scales, 0, Ls, 0, 1, sw, 0);
                for (int j = 0; j < 16; ++j) {
                    packScale(packed, j, Ls[j]);
                }
            }
            for (int k = 0; k < 12; k++) {
                y[yb + 96 + k] = (byte) packed[k];
            }
            QuantMath.putFp16(y, yb + 108, dStored);
            float dAll = QuantMath.roundTripFp16(dStored);
            for (int j = 0; j < 16; ++j) {
                int sc = j < 8 ? packed[j] & 0xF : (packed[j - 8] & 0xFF) >> 4;
                sc = (byte) ((sc | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
                float d = dAll * sc;
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ++ii) {
                    int l = QuantMath.nearestInt(x[xb + 16 * j + ii] / d);
                    l = Math.max(-4, Math.min(3, l));
                    L[16 * j + ii] = (byte) (l + 4);
                }
            }
            for (int k = 0; k < 32; k++) {
                y[yb + k] = 0;
            }
            int m = 0;
            int hm = 1;
            for (int j = 0; j < QK; ++j) {
                if (L[j] > 3) {
                    y[yb + m] = (byte) (y[yb + m] | hm);
                    L[j] -= 4;
                }
                if (++m == 32) {
                    m = 0;
                    hm <<= 1;
                }
            }
            for (int j = 0; j < QK; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    y[yb + 32 + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
                }
            }
        }
    }

    /** Packs 6-bit scale {@code l} (already offset by 32) of group j into the 12-byte scale array. */
    private static void packScale(int[] s, int j, int l) {
        if (j < 8) {
            s[j] = l & 0xF;
        } else {
            s[j - 8] |= (l & 0xF) << 4;
        }
        l >>= 4;
        s[j % 4 + 8] |= l << (2 * (j / 4));
    }
}
