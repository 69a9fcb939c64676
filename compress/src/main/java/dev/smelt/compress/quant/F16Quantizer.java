package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * F16: each value becomes IEEE binary16 (2 bytes, little-endian), rounded to nearest even, as ggml's
 * {@code ggml_fp32_to_fp16_row}. Overflow gives ±inf, NaN stays NaN. Importance is ignored.
 * Thread-safe (stateless).
 */
public final class F16Quantizer extends AbstractQuantizer {
    public F16Quantizer() {
        super(GgmlType.F16);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        for (int i = 0; i < n; i++) {
            QuantMath.putShort(y, yo + 2 * i, Float.floatToFloat16(x[xo + i]));
        }
    }
}
