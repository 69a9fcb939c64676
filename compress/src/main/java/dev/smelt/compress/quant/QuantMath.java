package dev.smelt.compress.quant;

import java.util.Arrays;

/**
 * The scalar search helpers shared by ggml's quantizers ({@code ggml-quants.c}), reproduced operation
 * for operation in single-precision float so that the chosen levels, and therefore the output bytes,
 * are identical to llama.cpp's. Evaluation order matters: every expression is written in the same
 * order as the C source, because float addition is not associative.
 *
 * <p>Thread-safety: stateless; every method works only on its arguments.
 */
final class QuantMath {
    /** ggml's GROUP_MAX_EPS: groups whose largest magnitude is below this are treated as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantMath() {
    }

    /**
     * ggml's {@code nearest_int}: adds 1.5·2^23 so the FPU's round-half-to-even lands the integer in the
     * low mantissa bits. Valid for |x| ≤ 2^22; ties go to the even neighbour (2.5 → 2), unlike C roundf.
     */
    static int nearestInt(float x) {
        float v = x + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    /** fp32 → IEEE binary16 bits, round to nearest even, as GGML_FP32_TO_FP16. */
    static short fp16(float x) {
        return Float.floatToFloat16(x);
    }

    /** IEEE binary16 bits → fp32 (exact), as GGML_FP16_TO_FP32. */
    static float fp16ToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    /** Writes fp16 bits little-endian at {@code dst[off..off+1]}. */
    static void putFp16(byte[] dst, int off, float x) {
        putShort(dst, off, fp16(x));
    }

    static void putShort(byte[] dst, int off, int v) {
        dst[off] = (byte) v;
        dst[off + 1] = (byte) (v >>> 8);
    }

    static void putInt(byte[] dst, int off, int v) {
        dst[off] = (byte) v;
        dst[off + 1] = (byte) (v >>> 8);
        dst[off + 2] = (byte) (v >>> 16);
        dst[off + 3] = (byte) (v >>> 24);
    }

    /** The value ggml stores after a float → fp16 → float round trip (what the dequantizer will see). */
    static float roundTripFp16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /**
     * {@code make_qx_quants}: symmetric quantization of {@code x[xo..xo+n)} to levels in [-nmax, nmax-1],
     * stored as {@code L[lo+i] = level + nmax}. With {@code rmseType} 0 it just scales by the extreme
     * value; otherwise it tries 19 scales around it and keeps the one maximising (Σw·x·l)²/Σw·l², with
     * weights {@code qw} or, when null, x² (type 1), 1 (2), |x| (3) or sqrt|x| (4). A negative type
     * returns early with the average of the first least-squares and the naive scale.
     *
     * @return the block scale d (x ≈ d·(L − nmax))
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, byte[] L, int lo, int rmseType, float[] qw, int qo) {
        float max = absMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            Arrays.fill(L, lo, lo + n, (byte) 0);
            return 0.f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; ++i) {
                L[lo + i] = (byte) (nmax + symLevel(iscale * x[xo + i], nmax));
            }
            return 1 / iscale;
        }
        boolean returnEarly = false;
        if (rmseType < 0) {
            rmseType = -rmseType;
            returnEarly = true;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = symLevel(iscale * xi, nmax);
            L[lo + i] = (byte) (l + nmax);
            float w = weight(qw, qo + i, xi, rmseType);
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) {
            return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        }
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                int l = symLevel(iscale * xi, nmax);
                float w = weight(qw, qo + i, xi, rmseType);
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    L[lo + i] = (byte) (nmax + symLevel(iscale * x[xo + i], nmax));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /** The value of largest magnitude in x[xo..xo+n), sign kept: the first such value on ties, 0 when all are 0. */
    static float absMax(float[] x, int xo, int n) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        return max;
    }

    /** The symmetric level of {@code v}: nearest integer clamped to [-nmax, nmax - 1]. */
    static int symLevel(float v, int nmax) {
        return Math.max(-nmax, Math.min(nmax - 1, nearestInt(v)));
    }

    private static float weight(float[] qw, int idx, float x, int rmseType) {
        if (qw != null) {
            return qw[idx];
        }
        return switch (rmseType) {
            case 1 -> x * x;
            case 2 -> 1;
            case 3 -> Math.abs(x);
            default -> (float) Math.sqrt(Math.abs(x));
        };
    }

    /**
     * {@code make_q3_quants}: symmetric levels in [-nmax, nmax-1] (stored + nmax) with an optional
     * coordinate-descent refinement (up to 5 passes) weighted by x².
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xo, byte[] L, int lo, boolean doRmse) {
        float max = absMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            Arrays.fill(L, lo, lo + n, (byte) 0);
            return 0.f;
        }
        float iscale = -nmax / max;
        if (doRmse) {
            float sumlx = 0;
            float suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                int l = symLevel(iscale * xi, nmax);
                L[lo + i] = (byte) l;
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            for (int itry = 0; itry < 5; ++itry) {
                int nChanged = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xo + i];
                    float w = xi * xi;
                    int li = L[lo + i];
                    float slx = sumlx - w * xi * li;
                    if (slx > 0) {
                        float sl2 = suml2 - w * li * li;
                        int newL = symLevel(xi * sl2 / slx, nmax);
                        if (newL != li) {
                            slx += w * xi * newL;
                            sl2 += w * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[lo + i] = (byte) newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++nChanged;
                            }
                        }
                    }
                }
                if (nChanged == 0) {
                    break;
                }
            }
            for (int i = 0; i < n; ++i) {
                L[lo + i] = (byte) (L[lo + i] + nmax);
            }
            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }
        for (int i = 0; i < n; ++i) {
            int l = symLevel(iscale * x[xo + i], nmax);
            L[lo + i] = (byte) (l + nmax);
        }
        return 1 / iscale;
    }

    /**
     * {@code make_qkx2_quants}: asymmetric levels in [0, nmax] with x ≈ scale·L − min. Starts from the
     * min/max fit, then tries {@code nstep+1} scales (rmin + rdelta·is + nmax)/(max − min) and, for each,
     * the weighted least-squares (scale, min); keeps the lowest weighted error (|diff| when
     * {@code useMad}, diff² otherwise).
     *
     * @param theMin receives −min (≥ 0) at index {@code mo}
     * @return the scale
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] L, int lo,
            float[] theMin, int mo, float rmin, float rdelta, int nstep, boolean useMad) {
        return makeQkxQuants(n, nmax, x, xo, weights, wo, L, lo, theMin, mo, rmin, rdelta, nstep, useMad, false);
    }

    /**
     * {@code make_qkx3_quants}: as {@link #makeQkx2Quants} (the imatrix-path variant), with weights x²
     * when {@code weights} is null, a {@code max <= min} guard, and candidate levels computed as
     * {@code v > 0 ? nearest_int(min(v, nmax)) : 0} so an extreme trial scale cannot overflow.
     */
    static float makeQkx3Quants(int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] L, int lo,
            float[] theMin, int mo, float rmin, float rdelta, int nstep, boolean useMad) {
        return makeQkxQuants(n, nmax, x, xo, weights, wo, L, lo, theMin, mo, rmin, rdelta, nstep, useMad, true);
    }

    /**
     * The search both {@code make_qkx2_quants} and {@code make_qkx3_quants} run; they differ only in how a
     * trial level is rounded: {@code clampFirst} (qkx3) clamps the scaled value to (0, nmax] before rounding,
     * otherwise (qkx2) the rounded value is clamped to [0, nmax]. (qkx3's {@code max <= min} guard is qkx2's
     * {@code max == min}: max < min cannot happen.) Null {@code weights} weigh by x².
     */
    private static float makeQkxQuants(int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] L, int lo,
            float[] theMin, int mo, float rmin, float rdelta, int nstep, boolean useMad, boolean clampFirst) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights != null ? weights[wo] : x[xo] * x[xo];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; ++i) {
            float xi = x[xo + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights != null ? weights[wo + i] : xi * xi;
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max <= min) {
            Arrays.fill(L, lo, lo + n, (byte) 0);
            theMin[mo] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * (xi - min));
            l = Math.max(0, Math.min(nmax, l));
            L[lo + i] = (byte) l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            float w = weights != null ? weights[wo + i] : xi * xi;
            bestMad += w * diff;
        }
        if (nstep < 1) {
            theMin[mo] = -min;
            return scale;
        }
        final float nmaxF = nmax;
        float[] lf = new float[n]; // the trial levels as floats: exact small integers, saves conversions
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xo + i];
                float v = iscale * (xi - min);
                // levels kept as floats (exact small integers) so the sums below need no int→float conversion;
                // clamping before rounding keeps an extreme trial scale (inf, NaN → 0) in range, as in qkx3's C
                float l = clampFirst ? (v > 0 ? (float) nearestInt(Math.min(v, nmaxF)) : 0f)
                        : Math.max(0f, Math.min(nmaxF, (float) nearestInt(v)));
                lf[i] = l;
                float w = weights != null ? weights[wo + i] : xi * xi;
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xo + i];
                    float diff = thisScale * lf[i] + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    float w = weights != null ? weights[wo + i] : xi * xi;
                    mad += w * diff;
                }
                if (mad < bestMad) {
                    for (int i = 0; i < n; ++i) {
                        L[lo + i] = (byte) lf[i];
                    }
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[mo] = -min;
        return scale;
    }

    /**
     * {@code make_qp_quants}: quantizes non-negative values (the sub-block scales or mins of a K-quant
     * super-block) to [0, nmax] with weights {@code qw}: 9 trial scales, then up to 5 coordinate-descent
     * passes. Used only on the imatrix path.
     */
    static float makeQpQuants(int n, int nmax, float[] x, byte[] L, float[] qw) {
        float max = 0;
        for (int i = 0; i < n; ++i) {
            max = Math.max(max, x[i]);
        }
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) {
                L[i] = 0;
            }
            return 0.f;
        }
        float iscale = nmax / max;
        int[] l0 = new int[n];
        for (int i = 0; i < n; ++i) {
            l0[i] = nearestInt(iscale * x[i]);
        }
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i) {
            float diff = x[i] - scale * l0[i];
            float w = qw[i];
            bestMse += w * diff * diff;
        }
        for (int is = -4; is <= 4; ++is) {
            if (is == 0) {
                continue;
            }
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscaleIs * x[i]);
                l = Math.min(nmax, l);
                float diff = x[i] - scaleIs * l;
                float w = qw[i];
                mse += w * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        int[] li = new int[n];
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[i]);
            l = Math.min(nmax, l);
            li[i] = l;
            float w = qw[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; ++itry) {
            int nChanged = 0;
            for (int i = 0; i < n; ++i) {
                float w = qw[i];
                float slx = sumlx - w * x[i] * li[i];
                float sl2 = suml2 - w * li[i] * li[i];
                if (slx > 0 && sl2 > 0) {
                    int newL = nearestInt(x[i] * sl2 / slx);
                    newL = Math.min(nmax, newL);
                    if (newL != li[i]) {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            li[i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++nChanged;
                        }
                    }
                }
            }
            if (nChanged == 0) {
                break;
            }
        }
        for (int i = 0; i < n; ++i) {
            L[i] = (byte) li[i];
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * {@code best_index_int8}: index of the entry of the sorted table {@code val} (length a power of two)
     * nearest to {@code x}; a value exactly at a midpoint picks the upper entry. Comparing 2x with
     * val[j−1] + val[j] keeps both sides exact.
     */
    static int bestIndexInt8(int n, byte[] val, float x) {
        float x2 = x + x;
        int idx = 0;
        for (int step = n >> 1; step > 0; step >>= 1) {
            int j = idx + step;
            idx = (x2 >= (float) (val[j - 1] + val[j])) ? j : idx;
        }
        return idx;
    }
}
