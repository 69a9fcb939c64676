package dev.smelt.tensor.quant;

import dev.smelt.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * The scalar reference decoders of every supported type, bit-exact with ggml's
 * {@code dequantize_row_*}. Each nested class documents its block layout byte by byte
 * (all multi-byte fields little-endian; "fp16" = IEEE half).
 */
final class ScalarFormats {
    /** IQ4_NL / IQ4_XS non-linear 4-bit code book (kvalues_iq4nl). */
    static final byte[] IQ4_VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private ScalarFormats() {
    }

    /** F16: 2 bytes per element, IEEE half. */
    static class F16 extends BlockFormat {
        public GgmlType type() { return GgmlType.F16; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            dst[o] = f16(w, off);
        }
    }

    /** BF16: 2 bytes per element, the upper half of an IEEE float. */
    static class BF16 extends BlockFormat {
        public GgmlType type() { return GgmlType.BF16; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            dst[o] = Float.intBitsToFloat((w.get(LE_SHORT, off) & 0xFFFF) << 16);
        }
    }

    /** Q8_0 (34 B / 32): [0,2) fp16 d; [2,34) int8 q[32]; x = d·q. */
    static class Q8_0 extends BlockFormat {
        public GgmlType type() { return GgmlType.Q8_0; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            for (int j = 0; j < 32; j++) {
                dst[o + j] = s8(w, off + 2 + j) * d;
            }
        }
    }

    /** Q4_0 (18 B / 32): [0,2) fp16 d; [2,18) qs[16]; x[j] = d·((qs[j] &amp; 15) − 8), x[j+16] = d·((qs[j] &gt;&gt; 4) − 8). */
    static class Q4_0 extends BlockFormat {
        public GgmlType type() { return GgmlType.Q4_0; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            for (int j = 0; j < 16; j++) {
                int q = u8(w, off + 2 + j);
                dst[o + j] = ((q & 0xF) - 8) * d;
                dst[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    /** Q4_1 (20 B / 32): [0,2) fp16 d; [2,4) fp16 m; [4,20) qs[16]; x = d·nibble + m (nibble order as Q4_0). */
    static class Q4_1 extends BlockFormat {
        public GgmlType type() { return GgmlType.Q4_1; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            float m = f16(w, off + 2);
            for (int j = 0; j < 16; j++) {
                int q = u8(w, off + 4 + j);
                dst[o + j] = (q & 0xF) * d + m;
                dst[o + j + 16] = (q >> 4) * d + m;
            }
        }
    }

    /**
     * Q5_0 (22 B / 32): [0,2) fp16 d; [2,6) u32 qh (bit j = 5th bit of element j); [6,22) qs[16] low nibbles;
     * x = d·(q5 − 16).
     */
    static class Q5_0 extends BlockFormat {
        public GgmlType type() { return GgmlType.Q5_0; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            int qh = w.get(LE_INT, off + 2);
            for (int j = 0; j < 16; j++) {
                int q = u8(w, off + 6 + j);
                dst[o + j] = (((q & 0xF) | ((qh >>> j) & 1) << 4) - 16) * d;
                dst[o + j + 16] = (((q >> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16) * d;
            }
        }
    }

    /** Q5_1 (24 B / 32): [0,2) fp16 d; [2,4) fp16 m; [4,8) u32 qh; [8,24) qs[16]; x = d·q5 + m. */
    static class Q5_1 extends BlockFormat {
        public GgmlType type() { return GgmlType.Q5_1; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            float m = f16(w, off + 2);
            int qh = w.get(LE_INT, off + 4);
            for (int j = 0; j < 16; j++) {
                int q = u8(w, off + 8 + j);
                dst[o + j] = ((q & 0xF) | ((qh >>> j) & 1) << 4) * d + m;
                dst[o + j + 16] = ((q >> 4) | ((qh >>> (j + 16)) & 1) << 4) * d + m;
            }
        }
    }

    /** IQ4_NL (18 B / 32): [0,2) fp16 d; [2,18) qs[16]; x = d·IQ4_VALUES[nibble] (nibble order as Q4_0). */
    static class IQ4_NL extends BlockFormat {
        public GgmlType type() { return GgmlType.IQ4_NL; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            for (int j = 0; j < 16; j++) {
                int q = u8(w, off + 2 + j);
                dst[o + j] = d * IQ4_VALUES[q & 0xF];
                dst[o + j + 16] = d * IQ4_VALUES[q >> 4];
            }
        }
    }

    /**
     * IQ4_XS (136 B / 256): [0,2) fp16 d; [2,4) u16 scales_h (2 bits per sub-block); [4,8) scales_l[4]
     * (4 bits per sub-block); [8,136) qs[128]; sub-block ib (32 values) has scale
     * ls = (scales_l nibble | scales_h bits &lt;&lt; 4) − 32, x = d·ls·IQ4_VALUES[nibble].
     */
    static class IQ4_XS extends BlockFormat {
        public GgmlType type() { return GgmlType.IQ4_XS; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            int sh = w.get(LE_SHORT, off + 2) & 0xFFFF;
            for (int ib = 0; ib < 8; ib++) {
                int ls = ((u8(w, off + 4 + ib / 2) >> (4 * (ib % 2))) & 0xF) | (((sh >> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                for (int j = 0; j < 16; j++) {
                    int q = u8(w, off + 8 + 16 * ib + j);
                    dst[o + 32 * ib + j] = dl * IQ4_VALUES[q & 0xF];
                    dst[o + 32 * ib + j + 16] = dl * IQ4_VALUES[q >> 4];
                }
            }
        }
    }

    /**
     * Q2_K (84 B / 256): [0,16) scales[16] (low nibble scale, high nibble min, per 16 values);
     * [16,80) qs[64] (2 bits each: byte 32·h + l holds values of 4 groups of 32 in half h at shifts 0,2,4,6);
     * [80,82) fp16 d; [82,84) fp16 dmin; x = d·(sc &amp; 15)·q − dmin·(sc &gt;&gt; 4).
     */
    static class Q2_K extends BlockFormat {
        public GgmlType type() { return GgmlType.Q2_K; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off + 80);
            float min = f16(w, off + 82);
            for (int i = 0; i < 256; i++) {
                int half = i / 128;
                int r = i % 128;
                int q = (u8(w, off + 16 + 32 * half + r % 32) >> (2 * (r / 32))) & 3;
                int sc = u8(w, off + i / 16);
                dst[o + i] = d * (sc & 0xF) * q - min * (sc >> 4);
            }
        }
    }

    /**
     * Q3_K (110 B / 256): [0,32) hmask[32] (bit i/32 of byte i%32: high bit of value i, set = no −4);
     * [32,96) qs[64] low 2 bits (layout as Q2_K); [96,108) 12 bytes of 16 6-bit scales (low 4 bits in
     * bytes 0..7 nibbles, high 2 bits in bytes 8..11); [108,110) fp16 d; x = d·(scale − 32)·(q − 4·!hbit).
     */
    static class Q3_K extends BlockFormat {
        public GgmlType type() { return GgmlType.Q3_K; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off + 108);
            for (int i = 0; i < 256; i++) {
                int half = i / 128;
                int r = i % 128;
                int q = (u8(w, off + 32 + 32 * half + r % 32) >> (2 * (r / 32))) & 3;
                boolean hi = ((u8(w, off + (i % 32)) >> (i / 32)) & 1) != 0;
                int j = i / 16;
                int low = j < 8 ? u8(w, off + 96 + j) & 0xF : u8(w, off + 96 + j - 8) >> 4;
                int sc = (low | ((u8(w, off + 104 + j % 4) >> (2 * (j / 4))) & 3) << 4) - 32;
                dst[o + i] = d * sc * (q - (hi ? 0 : 4));
            }
        }
    }

    /**
     * Q4_K (144 B / 256): [0,2) fp16 d; [2,4) fp16 dmin; [4,16) 8 6-bit scales and 8 6-bit mins packed
     * as ggml's get_scale_min_k4; [16,144) qs[128]: chunk c (64 values) uses bytes 32c..32c+31, low
     * nibbles = values 64c..64c+31, high nibbles = 64c+32..64c+63; x = d·sc·q − dmin·m per 32 values.
     */
    static class Q4_K extends BlockFormat {
        public GgmlType type() { return GgmlType.Q4_K; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            float min = f16(w, off + 2);
            for (int g = 0; g < 8; g++) {
                float dl = d * scale(w, off + 4, g);
                float ml = min * minK(w, off + 4, g);
                int c = g / 2;
                boolean high = g % 2 == 1;
                for (int l = 0; l < 32; l++) {
                    int b = u8(w, off + 16 + 32 * c + l);
                    dst[o + 32 * g + l] = dl * (high ? b >> 4 : b & 0xF) - ml;
                }
            }
        }
    }

    /**
     * Q5_K (176 B / 256): [0,2) fp16 d; [2,4) fp16 dmin; [4,16) scales/mins as Q4_K; [16,48) qh[32]
     * (bit g of byte l = 5th bit of value 32g + l); [48,176) qs[128] as Q4_K; x = d·sc·q5 − dmin·m.
     */
    static class Q5_K extends BlockFormat {
        public GgmlType type() { return GgmlType.Q5_K; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off);
            float min = f16(w, off + 2);
            for (int g = 0; g < 8; g++) {
                float dl = d * scale(w, off + 4, g);
                float ml = min * minK(w, off + 4, g);
                int c = g / 2;
                boolean high = g % 2 == 1;
                for (int l = 0; l < 32; l++) {
                    int b = u8(w, off + 48 + 32 * c + l);
                    int q = (high ? b >> 4 : b & 0xF) | ((u8(w, off + 16 + l) >> g) & 1) << 4;
                    dst[o + 32 * g + l] = dl * q - ml;
                }
            }
        }
    }

    /**
     * Q6_K (210 B / 256): [0,128) ql[128] low 4 bits; [128,192) qh[64] high 2 bits; [192,208) int8 scales[16];
     * [208,210) fp16 d. Two halves of 128: value 128h + 32k + l takes ql[64h + l (+32 for k odd)] nibble
     * (low for k &lt; 2), qh[32h + l] bits 2k..2k+1; x = d·scale[i/16]·(q6 − 32).
     */
    static class Q6_K extends BlockFormat {
        public GgmlType type() { return GgmlType.Q6_K; }

        void decodeBlock(MemorySegment w, long off, float[] dst, int o) {
            float d = f16(w, off + 208);
            for (int i = 0; i < 256; i++) {
                int half = i / 128;
                int r = i % 128;
                int k = r / 32;
                int l = r % 32;
                int qlb = u8(w, off + 64 * half + l + (k % 2 == 1 ? 32 : 0));
                int low = k < 2 ? qlb & 0xF : qlb >> 4;
                int hib = (u8(w, off + 128 + 32 * half + l) >> (2 * k)) & 3;
                dst[o + i] = d * s8(w, off + 192 + i / 16) * ((low | hib << 4) - 32);
            }
        }
    }

    /** ggml's get_scale_min_k4: the 6-bit scale of sub-block j from the 12 packed bytes at {@code q}. */
    static int scale(MemorySegment w, long q, int j) {
        return j < 4 ? u8(w, q + j) & 63 : (u8(w, q + j + 4) & 0xF) | ((u8(w, q + j - 4) >> 6) << 4);
    }

    /** ggml's get_scale_min_k4: the 6-bit min of sub-block j. */
    static int minK(MemorySegment w, long q, int j) {
        return j < 4 ? u8(w, q + j + 4) & 63 : (u8(w, q + j + 4) >> 4) | ((u8(w, q + j) >> 6) << 4);
    }

    private static int u8(MemorySegment w, long off) {
        return BlockFormat.u8(w, off);
    }
}
