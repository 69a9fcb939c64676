package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * IQ4_NL, mirroring ggml's {@code quantize_iq4_nl} (→ {@code quantize_row_iq4_nl_impl} with 7 tries;
 * llama-quantize does not use the {@code _ref} variant, which makes no tries), see {@link NonLinear4}.
 *
 * <p>Block of 32 values, 18 bytes: bytes 0–1 d (fp16); bytes 2–17 qs[j]: table index of element j in
 * the low nibble, of element j+16 in the high nibble. Value = d·kvalues_iq4nl[index]. Thread-safe
 * (stateless).
 */
public final class IQ4_NLQuantizer extends AbstractQuantizer {
    public IQ4_NLQuantizer() {
        super(GgmlType.IQ4_NL);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        float[] scales = new float[1];
        byte[] L = new byte[32];
        float[] out = new float[1];
        for (int ib = 0; ib < n / 32; ib++) {
            int yb = yo + 18 * ib;
            NonLinear4.quantize(32, x, xo + 32 * ib, qw, 32 * ib, scales, null, L, out);
            QuantMath.putFp16(y, yb, out[0]);
            NonLinear4.packNibbles(32, L, y, yb + 2);
        }
    }
}
