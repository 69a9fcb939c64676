package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * IQ4_XS, mirroring ggml's {@code quantize_iq4_xs} ({@code quantize_row_iq4_nl_impl} on 256-value
 * super-blocks with 7 tries), see {@link NonLinear4}.
 *
 * <p>Super-block of 256 values, 136 bytes: bytes 0–1 d (fp16); bytes 2–3 scales_h (u16 LE), bits
 * 2b..2b+1 = top 2 bits of block b's 6-bit scale; bytes 4–7 scales_l: low nibble of byte b/2 = low 4 bits
 * of scale b for even b, high nibble for odd b; bytes 8–135 qs: per 32-block b (16 bytes at 8 + 16b),
 * byte j = index of element 32b + j (low nibble) and 32b + 16 + j (high). Value =
 * d·(scale_b − 32)·kvalues_iq4nl[index]. Thread-safe (stateless).
 */
public final class IQ4_XSQuantizer extends AbstractQuantizer {
    public IQ4_XSQuantizer() {
        super(GgmlType.IQ4_XS);
    }

    @Override
    void quantize(float[] x, int xo, int n, float[] qw, byte[] y, int yo) {
        float[] scales = new float[8];
        int[] blockScale = new int[8];
        byte[] L = new byte[256];
        float[] out = new float[1];
        for (int ibl = 0; ibl < n / 256; ibl++) {
            int yb = yo + 136 * ibl;
            java.util.Arrays.fill(blockScale, 0);
            NonLinear4.quantize(256, x, xo + 256 * ibl, qw, 256 * ibl, scales, blockScale, L, out);
            QuantMath.putFp16(y, yb, out[0]);
            int scalesH = 0;
            for (int ib = 0; ib < 8; ib++) {
                scalesH |= (blockScale[ib] >> 4) << (2 * ib);
            }
            QuantMath.putShort(y, yb + 2, scalesH);
            for (int k = 0; k < 4; k++) {
                y[yb + 4 + k] = (byte) ((blockScale[2 * k] & 0xF) | ((blockScale[2 * k + 1] & 0xF) << 4));
            }
            NonLinear4.packNibbles(256, L, y, yb + 8);
        }
    }
}
