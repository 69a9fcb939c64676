package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Q8_0, mirroring ggml's {@code quantize_row_q8_0_ref} (llama-quantize's {@code quantize_q8_0} ignores
 * the imatrix and always calls it).
 *
 * <p>Block of 32 values, 34 bytes: bytes 0–1 d (fp16 LE) = amax/127; bytes 2–33 qs[j] (int8) =
 * roundf(x[j]/d), rounded half away from zero (C {@code roundf}, not {@code nearest_int}).
 * Dequantized value j = d·qs[j]. Thread-safe (stateless).
 */
public final class Q8_0Quantizer extends AbstractQuantizer {
    public Q8_0Quantizer() {
        super(GgmlType.Q8_0);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        for (int b = 0; b < n / 32; b++) {
            int xb = xo + 32 * b;
            int yb = yo + 34 * b;
            float amax = 0.0f;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[xb + j]));
            }
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            QuantMath.putFp16(y, yb, d);
            for (int j = 0; j < 32; j++) {
                y[yb + 2 + j] = (byte) roundf(x[xb + j] * id);
            }
        }
    }

    /** C {@code roundf}: half away from zero; computed in double so |x| + 0.5 is exact. */
    static int roundf(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -a : a);
    }
}
