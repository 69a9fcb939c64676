package dev.smelt.compress.quant;

/**
 * The part Q4_K and Q5_K share: choosing the eight (scale, min) pairs of a 256-value super-block and
 * the per-element levels, exactly as ggml's {@code quantize_row_q4_K_ref}/{@code q5_K_ref} (no importance:
 * weights av_x + |x| with av_x = rms of the 32-group, {@code make_qkx2_quants}, 6-bit scales relative
 * to the largest) and {@code quantize_row_q4_K_impl}/{@code q5_K_impl} (importance: weights
 * imatrix·sqrt(σ² + x²), σ² = 2·mean x² of the super-block, {@code make_qkx3_quants(…, −0.9, 0.05, 36)},
 * scales and mins by {@code make_qp_quants(8, 63, …)}).
 *
 * <p>Thread-safety: stateless.
 */
final class KQuant45 {
    private KQuant45() {
    }

    /**
     * Writes d (fp16) at {@code yb}, dmin at {@code yb+2}, the 12 scale bytes at {@code yb+4}, and leaves
     * levels in {@code L[0..256)} (0..nmax).
     *
     * @param qw importance for this super-block starting at {@code qo}, or null
     */
    static void quantizeSuperBlock(float[] x, int xb, float[] qw, int qo, int nmax, float rminRef, float rdeltaRef,
            int nstepRef, byte[] L, byte[] y, int yb) {
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        int[] ls = new int[8];
        int[] lm = new int[8];
        float dStore;
        float mStore;
        if (qw == null) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; ++j) {
                float sumX2 = 0;
                for (int l = 0; l < 32; ++l) {
                    sumX2 += x[xb + 32 * j + l] * x[xb + 32 * j + l];
                }
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; ++l) {
                    weights[l] = avX + Math.abs(x[xb + 32 * j + l]);
                }
                scales[j] = QuantMath.makeQkx2Quants(32, nmax, x, xb + 32 * j, weights, 0, L, 32 * j, mins, j,
                        rminRef, rdeltaRef, nstepRef, false);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            for (int j = 0; j < 8; ++j) {
                // C: uint8_t ls = nearest_int(...); ls = MIN(63, ls);
                ls[j] = Math.min(63, QuantMath.nearestInt(invScale * scales[j]) & 0xFF);
                lm[j] = Math.min(63, QuantMath.nearestInt(invMin * mins[j]) & 0xFF);
            }
            dStore = maxScale / 63.f;
            mStore = maxMin / 63.f;
        } else {
            float[] sw = new float[8];
            byte[] Ls = new byte[8];
            byte[] Lm = new byte[8];
            float sumX2 = 0;
            for (int l = 0; l < 256; ++l) {
                sumX2 += x[xb + l] * x[xb + l];
            }
            float sigma2 = 2 * sumX2 / 256;
            for (int j = 0; j < 8; ++j) {
                for (int l = 0; l < 32; ++l) {
                    float v = x[xb + 32 * j + l];
                    weights[l] = qw[qo + 32 * j + l] * (float) Math.sqrt(sigma2 + v * v);
                }
                float sumw = 0;
                for (int l = 0; l < 32; ++l) {
                    sumw += weights[l];
                }
                sw[j] = sumw;
                scales[j] = QuantMath.makeQkx3Quants(32, nmax, x, xb + 32 * j, weights, 0, L, 32 * j, mins, j,
                        -0.9f, 0.05f, 36, false);
            }
            dStore = QuantMath.makeQpQuants(8, 63, scales, Ls, sw);
            mStore = QuantMath.makeQpQuants(8, 63, mins, Lm, sw);
            for (int j = 0; j < 8; ++j) {
                ls[j] = Math.min(63, Ls[j] & 0xFF);
                lm[j] = Math.min(63, Lm[j] & 0xFF);
            }
        }
        KScaleMin.pack(ls, lm, y, yb + 4);
        QuantMath.putFp16(y, yb, dStore);
        QuantMath.putFp16(y, yb + 2, mStore);
        float d0 = QuantMath.roundTripFp16(dStore);
        float m0 = QuantMath.roundTripFp16(mStore);
        for (int j = 0; j < 8; ++j) {
            float d = d0 * KScaleMin.scale(y, yb + 4, j);
            if (d == 0) {
                continue;
            }
            float dm = m0 * KScaleMin.min(y, yb + 4, j);
            for (int ii = 0; ii < 32; ++ii) {
                int l = QuantMath.nearestInt((x[xb + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }
}
