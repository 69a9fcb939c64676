package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * Plain scalar dequantizers written from ggml's {@code dequantize_row_*} layouts, for round-trip and
 * error checks in tests only (the product dequantizers live in the tensor module).
 */
final class TestDequant {
    private static final byte[] IQ4 = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private TestDequant() {
    }

    static float h(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    static int u32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    /** Dequantizes {@code n} values of {@code type} from {@code src[off..]}. */
    static float[] dequantize(GgmlType type, byte[] src, int off, int n) {
        float[] y = new float[n];
        int bs = type.blockSize();
        int ts = type.typeSize();
        for (int b = 0; b < n / bs; b++) {
            int o = off + b * ts;
            int yo = b * bs;
            switch (type) {
                case F16 -> y[yo] = h(src, o);
                case BF16 -> y[yo] = Float.intBitsToFloat(((src[o] & 0xFF) | (src[o + 1] & 0xFF) << 8) << 16);
                case Q8_0 -> {
                    float d = h(src, o);
                    for (int j = 0; j < 32; j++) {
                        y[yo + j] = src[o + 2 + j] * d;
                    }
                }
                case Q4_0 -> {
                    float d = h(src, o);
                    for (int j = 0; j < 16; j++) {
                        y[yo + j] = ((src[o + 2 + j] & 0xF) - 8) * d;
                        y[yo + j + 16] = (((src[o + 2 + j] & 0xFF) >> 4) - 8) * d;
                    }
                }
                case Q4_1 -> {
                    float d = h(src, o);
                    float m = h(src, o + 2);
                    for (int j = 0; j < 16; j++) {
                        y[yo + j] = (src[o + 4 + j] & 0xF) * d + m;
                        y[yo + j + 16] = ((src[o + 4 + j] & 0xFF) >> 4) * d + m;
                    }
                }
                case Q5_0, Q5_1 -> {
                    boolean one = type == GgmlType.Q5_1;
                    float d = h(src, o);
                    float m = one ? h(src, o + 2) : 0;
                    int qh = u32(src, o + (one ? 4 : 2));
                    int qs = o + (one ? 8 : 6);
                    for (int j = 0; j < 16; j++) {
                        int x0 = (src[qs + j] & 0xF) | (((qh >>> j) & 1) << 4);
                        int x1 = ((src[qs + j] & 0xFF) >> 4) | (((qh >>> (j + 16)) & 1) << 4);
                        y[yo + j] = one ? x0 * d + m : (x0 - 16) * d;
                        y[yo + j + 16] = one ? x1 * d + m : (x1 - 16) * d;
                    }
                }
                case IQ4_NL -> {
                    float d = h(src, o);
                    for (int j = 0; j < 16; j++) {
                        y[yo + j] = d * IQ4[src[o + 2 + j] & 0xF];
                        y[yo + j + 16] = d * IQ4[(src[o + 2 + j] & 0xFF) >> 4];
                    }
                }
                case IQ4_XS -> {
                    float d = h(src, o);
                    int sh = (src[o + 2] & 0xFF) | (src[o + 3] & 0xFF) << 8;
                    for (int ib = 0; ib < 8; ib++) {
                        int ls = (((src[o + 4 + ib / 2] & 0xFF) >> (4 * (ib % 2))) & 0xF) | (((sh >> (2 * ib)) & 3) << 4);
                        float dl = d * (ls - 32);
                        for (int j = 0; j < 16; j++) {
                            int q = src[o + 8 + 16 * ib + j] & 0xFF;
                            y[yo + 32 * ib + j] = dl * IQ4[q & 0xF];
                            y[yo + 32 * ib + j + 16] = dl * IQ4[q >> 4];
                        }
                    }
                }
                case Q2_K -> {
                    float d = h(src, o + 80);
                    float min = h(src, o + 82);
                    for (int i = 0; i < 256; i++) {
                        int half = i / 128;
                        int r = i % 128;
                        int shift = 2 * (r / 32);
                        int l = r % 32;
                        int q = ((src[o + 16 + 32 * half + l] & 0xFF) >> shift) & 3;
                        int sc = src[o + i / 16] & 0xFF;
                        y[yo + i] = d * (sc & 0xF) * q - min * (sc >> 4);
                    }
                }
                case Q3_K -> {
                    float d = h(src, o + 108);
                    for (int i = 0; i < 256; i++) {
                        int half = i / 128;
                        int r = i % 128;
                        int shift = 2 * (r / 32);
                        int l = r % 32;
                        int q = ((src[o + 32 + 32 * half + l] & 0xFF) >> shift) & 3;
                        boolean hi = ((src[o + (i % 32)] >> (i / 32)) & 1) != 0;
                        int j = i / 16;
                        int low = j < 8 ? src[o + 96 + j] & 0xF : (src[o + 96 + j - 8] & 0xFF) >> 4;
                        int sc = (low | (((src[o + 96 + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4) - 32;
                        y[yo + i] = d * sc * (q - (hi ? 0 : 4));
                    }
                }
                case Q4_K, Q5_K -> {
                    boolean five = type == GgmlType.Q5_K;
                    float d = h(src, o);
                    float min = h(src, o + 2);
                    int qs = o + (five ? 48 : 16);
                    for (int i = 0; i < 256; i++) {
                        int c = i / 64;
                        int r = i % 64;
                        int l = r % 32;
                        int g = i / 32;
                        int byt = src[qs + 32 * c + l] & 0xFF;
                        int q = r < 32 ? byt & 0xF : byt >> 4;
                        if (five && ((src[o + 16 + l] >> (2 * c + (r < 32 ? 0 : 1))) & 1) != 0) {
                            q += 16;
                        }
                        y[yo + i] = d * KScaleMin.scale(src, o + 4, g) * q - min * KScaleMin.min(src, o + 4, g);
                    }
                }
                case Q6_K -> {
                    float d = h(src, o + 208);
                    for (int i = 0; i < 256; i++) {
                        int half = i / 128;
                        int r = i % 128;
                        int quarter = r / 32;
                        int l = r % 32;
                        int qlb = src[o + 64 * half + l + (quarter % 2 == 1 ? 32 : 0)] & 0xFF;
                        int low = quarter < 2 ? qlb & 0xF : qlb >> 4;
                        int hib = ((src[o + 128 + 32 * half + l] & 0xFF) >> (2 * quarter)) & 3;
                        int q = (low | hib << 4) - 32;
                        y[yo + i] = d * src[o + 192 + i / 16] * q;
                    }
                }
                default -> throw new IllegalArgumentException("no test dequantizer for " + type);
            }
        }
        return y;
    }
}
