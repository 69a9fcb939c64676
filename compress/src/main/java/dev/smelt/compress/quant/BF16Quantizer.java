package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * BF16: the top 16 bits of the fp32 value (2 bytes, little-endian), rounded to nearest even, as ggml's
 * {@code ggml_compute_fp32_to_bf16} (used by {@code ggml_fp32_to_bf16_row_ref}): NaN keeps its sign and
 * top payload bits and is forced quiet (bit 6 of the result set); everything else is
 * (bits + 0x7fff + lsb) &gt;&gt; 16, so values past the largest bf16 round to ±inf. Importance is ignored.
 * Thread-safe (stateless).
 */
public final class BF16Quantizer extends AbstractQuantizer {
    public BF16Quantizer() {
        super(GgmlType.BF16);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        for (int i = 0; i < n; i++) {
            QuantMath.putShort(y, yo + 2 * i, toBf16(x[xo + i]));
        }
    }

    /** fp32 → bf16 bits exactly as ggml. */
    static int toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return ((u >>> 16) | 64) & 0xFFFF;
        }
        return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xFFFF;
    }
}
