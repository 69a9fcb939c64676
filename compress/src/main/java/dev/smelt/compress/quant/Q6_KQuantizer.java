package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q6_K, mirroring ggml's {@code quantize_row_q6_K_ref} (per 16-group {@code make_qx_quants(16, 32, …,
 * rmse_type 1)} with x² weights) and, with importance, {@code quantize_row_q6_K_impl} (the same with the
 * raw importance values as weights), as {@code quantize_q6_K} routes.
 *
 * <p>Super-block of 256 values, 210 bytes: bytes 0–127 ql, 128–191 qh, 192–207 sixteen int8 scales,
 * 208–209 d (fp16). Per 128-value half h (ql bytes 64h.., qh bytes 32h..), for l in 0..31: ql[l] low
 * nibble = low 4 bits of element 128h + l, high nibble = of 128h + 64 + l; ql[l+32] low = 128h + 32 + l,
 * high = 128h + 96 + l; qh[l] bits 0–1, 2–3, 4–5, 6–7 = top 2 bits of elements 128h + l, +32, +64, +96.
 * Value = d·scale[group of 16]·(q − 32). Thread-safe (stateless).
 */
public final class Q6_KQuantizer extends AbstractQuantizer {
    public Q6_KQuantizer() {
        super(GgmlType.Q6_K);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        byte[] L = new byte[256];
        float[] scales = new float[16];
        for (int i = 0; i < n / 256; i++) {
            int xb = xo + 256 * i;
            int yb = yo + 210 * i;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < 16; ++ib) {
                float scale = QuantMath.makeQxQuants(16, 32, x, xb + 16 * ib, L, 16 * ib, 1, qw, 256 * i + 16 * ib);
                scales[ib] = scale;
                float absScale = Math.abs(scale);
                if (absScale > maxAbsScale) {
                    maxAbsScale = absScale;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < QuantMath.GROUP_MAX_EPS) {
                java.util.Arrays.fill(y, yb, yb + 210, (byte) 0);
                continue;
            }
            float iscale = -128.f / maxScale;
            QuantMath.putFp16(y, yb + 208, 1 / iscale);
            for (int ib = 0; ib < 16; ++ib) {
                y[yb + 192 + ib] = (byte) Math.min(127, QuantMath.nearestInt(iscale * scales[ib]));
            }
            float d0 = QuantMath.roundTripFp16(1 / iscale);
            for (int j = 0; j < 16; ++j) {
                float d = d0 * y[yb + 192 + j];
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ++ii) {
                    int l = QuantMath.nearestInt(x[xb + 16 * j + ii] / d);
                    l = Math.max(-32, Math.min(31, l));
                    L[16 * j + ii] = (byte) (l + 32);
                }
            }
            for (int h = 0; h < 2; h++) {
                int j = 128 * h;
                int ql = yb + 64 * h;
                int qh = yb + 128 + 32 * h;
                for (int l = 0; l < 32; ++l) {
                    int q1 = L[j + l] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    y[ql + l] = (byte) (q1 | (q3 << 4));
                    y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4)
                            | ((L[j + l + 96] >> 4) << 6));
                }
            }
        }
    }
}
