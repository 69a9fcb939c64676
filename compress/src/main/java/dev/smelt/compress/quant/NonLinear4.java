package dev.smelt.compress.quant;

import java.util.Arrays;

/**
 * ggml's {@code quantize_row_iq4_nl_impl} for the 16-entry non-linear table {@code kvalues_iq4nl},
 * shared by IQ4_NL (super-block = block = 32) and IQ4_XS (super-block 256 of eight 32-blocks with 6-bit
 * block scales). llama-quantize calls it with {@code ntry = 7} for both types: for each block it starts
 * from d = −max/values[0] (max = the value of largest magnitude), least-squares the scale for that
 * assignment, then tries 15 inverse scales (itry + values[0])/max, itry = −7..7, keeping the one that
 * maximises (Σw·q·x)²/Σw·q². Weights are x² without importance, imatrix·sqrt(σ² + x²) with it
 * (σ² = 2·mean x² of the super-block).
 *
 * <p>Thread-safety: stateless.
 */
final class NonLinear4 {
    /** ggml's kvalues_iq4nl. */
    static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** MID2[j] = VALUES[j-1] + VALUES[j]: twice the midpoint below entry j (MID2[0] unused). */
    private static final float[] MID2 = new float[16];

    static {
        for (int j = 1; j < 16; j++) {
            MID2[j] = VALUES[j - 1] + VALUES[j];
        }
    }

    /** The number of trial scales each side of the first estimate llama-quantize uses. */
    static final int NTRY = 7;

    private NonLinear4() {
    }

    /**
     * Quantizes one super-block of {@code sbs} values at {@code x[xb..]}.
     *
     * @param qw      importance starting at index {@code qo} for this super-block, or null
     * @param scales  [sbs/32] scratch for the block scales
     * @param L       [sbs] receives the table indices (0..15)
     * @param out     out[0] receives the value to store as fp16 d; for sbs &gt; 32, {@code blockScale}
     *                receives the eight 6-bit block scales (stored + 32)
     */
    static void quantize(int sbs, float[] x, int xb, float[] qw, int qo, float[] scales, int[] blockScale, byte[] L,
            float[] out) {
        final int bs = 32;
        final int ntry = NTRY;
        float sigma2 = 0;
        for (int j = 0; j < sbs; ++j) {
            sigma2 += x[xb + j] * x[xb + j];
        }
        sigma2 *= 2.f / sbs;
        float[] weight = new float[bs];
        float maxScale = 0;
        float amaxScale = 0;
        for (int ib = 0; ib < sbs / bs; ++ib) {
            int o = xb + ib * bs;
            if (qw != null) {
                for (int j = 0; j < bs; ++j) {
                    weight[j] = qw[qo + ib * bs + j] * (float) Math.sqrt(sigma2 + x[o + j] * x[o + j]);
                }
            } else {
                for (int j = 0; j < bs; ++j) {
                    weight[j] = x[o + j] * x[o + j];
                }
            }
            float max = QuantMath.absMax(x, o, bs);
            if (Math.abs(max) < QuantMath.GROUP_MAX_EPS) {
                scales[ib] = 0;
                Arrays.fill(L, ib * bs, ib * bs + bs, (byte) 0);
                continue;
            }
            float d = -max / VALUES[0];
            float id = 1 / d;
            float sumqx = 0;
            float sumq2 = 0;
            for (int j = 0; j < bs; ++j) {
                float al = id * x[o + j];
                int l = bestIndex(al);
                L[ib * bs + j] = (byte) l;
                float q = VALUES[l];
                float w = weight[j];
                sumqx += w * q * x[o + j];
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry) {
                id = (itry + VALUES[0]) / max;
                sumqx = 0;
                sumq2 = 0;
                for (int j = 0; j < bs; ++j) {
                    float al = id * x[o + j];
                    int l = bestIndex(al);
                    float q = VALUES[l];
                    float w = weight[j];
                    sumqx += w * q * x[o + j];
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = d;
            }
        }
        if (sbs / bs > 1) {
            float d = -maxScale / 32;
            out[0] = d;
            float id = d != 0 ? 1 / d : 0.f;
            for (int ib = 0; ib < sbs / bs; ++ib) {
                int l = QuantMath.nearestInt(id * scales[ib]);
                l = Math.max(-32, Math.min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                for (int j = 0; j < bs; ++j) {
                    L[ib * bs + j] = (byte) bestIndex(idl * x[xb + ib * bs + j]);
                }
                blockScale[ib] = l + 32;
            }
        } else {
            out[0] = scales[0];
            float id = scales[0] != 0 ? 1 / scales[0] : 0;
            for (int j = 0; j < sbs; ++j) {
                L[j] = (byte) bestIndex(id * x[xb + j]);
            }
        }
    }

    /**
     * {@link QuantMath#bestIndexInt8} for {@link #VALUES}, unrolled over a float midpoint table (the same
     * comparisons, so the same result: nearest entry, ties to the upper one).
     */
    static int bestIndex(float x) {
        float x2 = x + x;
        int idx = x2 >= MID2[8] ? 8 : 0;
        idx = x2 >= MID2[idx + 4] ? idx + 4 : idx;
        idx = x2 >= MID2[idx + 2] ? idx + 2 : idx;
        return x2 >= MID2[idx + 1] ? idx + 1 : idx;
    }

    /** Packs indices L[0..sbs) into qs: per 32 values, byte j = L[j] | L[j+16] &lt;&lt; 4. */
    static void packNibbles(int sbs, byte[] L, byte[] y, int qs) {
        for (int i = 0; i < sbs / 32; ++i) {
            for (int j = 0; j < 16; ++j) {
                y[qs + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
            }
        }
    }
}
