package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q2_K. Without importance ggml's {@code quantize_row_q2_K_ref} (per 16-value group
 * {@code make_qkx2_quants(16, 3, …, weights |x|, −0.5, 0.1, 15, mad)}, then 4-bit scales/mins relative
 * to the largest); with it {@code quantize_row_q2_K_impl} ({@code make_qkx3_quants(16, 3, …, −0.9,
 * 0.05, 36)} with weights imatrix·sqrt(σ² + x²), σ² = mean x² of the super-block, and the scales and
 * mins quantized by {@code make_qp_quants(16, 15, …)}), as {@code quantize_q2_K} routes.
 *
 * <p>Super-block of 256 values, 84 bytes: bytes 0–15 scales[j] for the 16 groups of 16 (low nibble =
 * scale, high nibble = min); bytes 16–79 qs: for each half h (128 values, 32 bytes), byte l holds the
 * 2-bit levels of elements h·128 + l, +32, +64, +96 in bits 0–1, 2–3, 4–5, 6–7; bytes 80–81 d (fp16);
 * bytes 82–83 dmin (fp16). Value = d·scale·q − dmin·min. Thread-safe (stateless).
 */
public final class Q2_KQuantizer extends AbstractQuantizer {
    private static final int QK = 256;
    private static final int BYTES = 84;

    public Q2_KQuantizer() {
        super(GgmlType.Q2_K);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        byte[] L = new byte[QK];
        float[] weights = new float[16];
        float[] mins = new float[16];
        float[] scales = new float[16];
        float[] sw = new float[16];
        byte[] Ls = new byte[16];
        byte[] Lm = new byte[16];
        for (int i = 0; i < n / QK; i++) {
            int xb = xo + QK * i;
            int yb = yo + BYTES * i;
            float dm;
            float mm;
            if (qw == null) {
                float maxScale = 0;
                float maxMin = 0;
                for (int j = 0; j < 16; ++j) {
                    for (int l = 0; l < 16; ++l) {
                        weights[l] = Math.abs(x[xb + 16 * j + l]);
                    }
                    scales[j] = QuantMath.makeQkx2Quants(16, 3, x, xb + 16 * j, weights, 0, L, 16 * j, mins, j,
                            -0.5f, 0.1f, 15, true);
                    if (scales[j] > maxScale) {
                        maxScale = scales[j];
                    }
                    if (mins[j] > maxMin) {
                        maxMin = mins[j];
                    }
                }
                final float q4scale = 15.f;
                if (maxScale > 0) {
                    float iscale = q4scale / maxScale;
                    for (int j = 0; j < 16; ++j) {
                        y[yb + j] = (byte) QuantMath.nearestInt(iscale * scales[j]);
                    }
                    QuantMath.putFp16(y, yb + 80, maxScale / q4scale);
                } else {
                    for (int j = 0; j < 16; ++j) {
                        y[yb + j] = 0;
                    }
                    QuantMath.putFp16(y, yb + 80, 0.f);
                }
                if (maxMin > 0) {
                    float iscale = q4scale / maxMin;
                    for (int j = 0; j < 16; ++j) {
                        int l = QuantMath.nearestInt(iscale * mins[j]);
                        y[yb + j] = (byte) (y[yb + j] | (l << 4));
                    }
                    QuantMath.putFp16(y, yb + 82, maxMin / q4scale);
                } else {
                    QuantMath.putFp16(y, yb + 82, 0.f);
                }
                dm = QuantMath.roundTripFp16(maxScale > 0 ? maxScale / q4scale : 0.f);
                mm = QuantMath.roundTripFp16(maxMin > 0 ? maxMin / q4scale : 0.f);
            } else {
                java.util.Arrays.fill(sw, 0);
                float sumx2 = 0;
                for (int j = 0; j < QK; ++j) {
                    sumx2 += x[xb + j] * x[xb + j];
                }
                float sigma2 = sumx2 / QK;
                for (int j = 0; j < 16; ++j) {
                    int q0 = QK * i + 16 * j;
                    for (int l = 0; l < 16; ++l) {
                        float v = x[xb + 16 * j + l];
                        weights[l] = qw[q0 + l] * (float) Math.sqrt(sigma2 + v * v);
                    }
                    for (int l = 0; l < 16; ++l) {
                        sw[j] += weights[l];
                    }
                    scales[j] = QuantMath.makeQkx3Quants(16, 3, x, xb + 16 * j, weights, 0, L, 16 * j, mins, j,
                            -0.9f, 0.05f, 36, false);
                }
                dm = QuantMath.makeQpQuants(16, 15, scales, Ls, sw);
                mm = QuantMath.makeQpQuants(16, 15, mins, Lm, sw);
                QuantMath.putFp16(y, yb + 80, dm);
                QuantMath.putFp16(y, yb + 82, mm);
                dm = QuantMath.roundTripFp16(dm);
                mm = QuantMath.roundTripFp16(mm);
                for (int j = 0; j < 16; ++j) {
                    y[yb + j] = (byte) (Ls[j] | (Lm[j] << 4));
                }
            }
            // Re-derive every level against the stored (fp16-rounded, 4-bit) scales and mins.
            for (int j = 0; j < 16; ++j) {
                int sc = y[yb + j] & 0xFF;
                float d = dm * (sc & 0xF);
                if (d == 0) {
                    continue;
                }
                float m = mm * (sc >> 4);
                for (int ii = 0; ii < 16; ++ii) {
                    int l = QuantMath.nearestInt((x[xb + 16 * j + ii] + m) / d);
                    L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            for (int j = 0; j < QK; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    y[yb + 16 + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
                }
            }
        }
    }
}
