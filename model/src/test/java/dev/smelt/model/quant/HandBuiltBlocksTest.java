package dev.smelt.model.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Single blocks with chosen bytes whose values are worked out here from ggml's formulas (written in a
 * different shape than the decoders: element-indexed instead of loop-ordered), checked against both the
 * scalar reference and the fast implementation, bit for bit.
 */
class HandBuiltBlocksTest {
    private static final short HALF_1 = 0x3C00;      // 1.0
    private static final short HALF_0_5 = 0x3800;    // 0.5
    private static final short HALF_0_25 = 0x3400;   // 0.25
    private static final short HALF_0_125 = 0x3000;  // 0.125

    private static void putHalf(byte[] b, int off, short h) {
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    private static void check(GgmlType type, byte[] block, float[] expected) {
        for (WeightFormat f : new WeightFormat[] {Formats.reference(type), Formats.of(type)}) {
            float[] got = new float[expected.length];
            f.dequantize(MemorySegment.ofArray(block), 0, got, 0, expected.length);
            for (int i = 0; i < expected.length; i++) {
                assertThat(Float.floatToRawIntBits(got[i]))
                        .as("%s (%s) element %d: expected %s but was %s", type, f.getClass().getSimpleName(), i, expected[i], got[i])
                        .isEqualTo(Float.floatToRawIntBits(expected[i]));
            }
        }
    }

    @Test
    void q8_0() {
        byte[] b = new byte[34];
        putHalf(b, 0, HALF_0_5);
        float[] want = new float[32];
        for (int j = 0; j < 32; j++) {
            b[2 + j] = (byte) (j * 9 - 128); // -128 .. 151 wraps: covers both signs and the extremes
            want[j] = (byte) (j * 9 - 128) * 0.5f;
        }
        check(GgmlType.Q8_0, b, want);
    }

    @Test
    void q4_0() {
        byte[] b = new byte[18];
        putHalf(b, 0, HALF_0_25);
        float[] want = new float[32];
        for (int j = 0; j < 16; j++) {
            b[2 + j] = (byte) (j | ((15 - j) << 4)); // low nibble j, high nibble 15 - j
        }
        for (int e = 0; e < 32; e++) {
            int nibble = e < 16 ? e : 15 - (e - 16); // element e < 16 is a low nibble, e ≥ 16 the high nibble of byte e-16
            want[e] = (nibble - 8) * 0.25f;
        }
        check(GgmlType.Q4_0, b, want);
    }

    @Test
    void q4_k() {
        byte[] b = new byte[144];
        putHalf(b, 0, HALF_1);
        putHalf(b, 2, HALF_0_5);
        int[] packed = {0x41, 0x02, 0x83, 0xC4, 0x05, 0x46, 0x07, 0x88, 0x21, 0x43, 0x65, 0x87};
        for (int i = 0; i < 12; i++) {
            b[4 + i] = (byte) packed[i];
        }
        // Worked out by hand from get_scale_min_k4: j < 4 → low 6 bits of bytes j / j+4;
        // j ≥ 4 → nibbles of byte j+4 plus the top 2 bits of bytes j-4 / j, e.g. j=7: 0x87 → sc 7|3<<4 = 55, m 8|2<<4 = 40.
        int[] sc = {1, 2, 3, 4, 17, 3, 37, 55};
        int[] mn = {5, 6, 7, 8, 2, 20, 6, 40};
        for (int i = 0; i < 128; i++) {
            b[16 + i] = (byte) ((i * 5 & 0xF) | ((i * 3 & 0xF) << 4));
        }
        float[] want = new float[256];
        for (int e = 0; e < 256; e++) {
            int chunk = e / 64;           // 32 bytes of qs per 64 elements
            int sub = e / 32;             // sub-block: low nibbles for the first 32, high for the next
            int byteIdx = 32 * chunk + e % 32;
            int q = (e % 64) < 32 ? (b[16 + byteIdx] & 0xF) : ((b[16 + byteIdx] >> 4) & 0xF);
            want[e] = (1.0f * sc[sub]) * q - 0.5f * mn[sub];
        }
        check(GgmlType.Q4_K, b, want);
    }

    @Test
    void q6_k() {
        byte[] b = new byte[210];
        for (int i = 0; i < 128; i++) {
            b[i] = (byte) (i * 7);          // ql
        }
        for (int i = 0; i < 64; i++) {
            b[128 + i] = (byte) (i * 13);   // qh
        }
        for (int i = 0; i < 16; i++) {
            b[192 + i] = (byte) (i - 8);    // int8 scales, both signs
        }
        putHalf(b, 208, HALF_0_125);
        float[] want = new float[256];
        for (int e = 0; e < 256; e++) {
            int h = e / 128;
            int r = e % 128;
            int quarter = r / 32;           // which 32-element run of the half
            int l = r % 32;
            int qlByte = b[64 * h + l + (quarter % 2 == 1 ? 32 : 0)] & 0xFF;
            int nibble = quarter < 2 ? qlByte & 0xF : qlByte >> 4;
            int hi = ((b[128 + 32 * h + l] & 0xFF) >> (2 * quarter)) & 3;
            int q = (nibble | (hi << 4)) - 32;
            int scale = b[192 + 8 * h + l / 16 + 2 * quarter];
            want[e] = 0.125f * scale * q;
        }
        check(GgmlType.Q6_K, b, want);
    }
}
