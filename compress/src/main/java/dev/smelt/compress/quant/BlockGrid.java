package dev.smelt.compress.quant;

import dev.smelt.tensor.GgmlType;

/**
 * The values one element of an already-encoded block may take, given the block's stored scales (and
 * mins, and sub-block scales): what GPTQ needs to round a single weight after earlier columns' errors
 * moved it. {@link #round} picks the nearest representable value for element {@code i}, writes its level
 * bits into the block and returns the value exactly as ggml dequantizes it, leaving every other byte of
 * the block unchanged. The block's scales come from the type's own {@link Quantizer} (see
 * {@link #chooseScales}), so a block written this way is an ordinary block of that ggml type.
 *
 * <p>Layouts are those documented on each quantizer class. Thread-safety: stateless.
 */
public final class BlockGrid {
    /** How one type rounds element {@code i} of the block at {@code y[yb..]}: the contract of {@link #round}. */
    @FunctionalInterface
    private interface Rounding {
        float round(byte[] y, int yb, int i, float v);
    }

    private final GgmlType type;
    private final Rounding rounding;

    private BlockGrid(GgmlType type, Rounding rounding) {
        this.type = type;
        this.rounding = rounding;
    }

    /** The ggml type whose blocks this edits. */
    public final GgmlType type() {
        return type;
    }

    /** Elements per block: the unit whose scales are chosen together (32, or 256 for K-quants and IQ4_XS). */
    public final int blockSize() {
        return type.blockSize();
    }

    /** Bytes per block. */
    public final int blockBytes() {
        return Math.toIntExact(type.bytesFor(type.blockSize()));
    }

    /**
     * Encodes one block with the type's quantizer (importance-weighted when {@code importance} is given),
     * which fixes the block's scales; levels are then rewritten element by element with {@link #round}.
     *
     * @param importance [blockSize] weights for this block's columns, or null
     */
    public final void chooseScales(float[] x, int xo, float[] importance, byte[] y, int yo) {
        Quantizers.forType(type).quantizeRow(x, xo, blockSize(), importance, y, yo);
    }

    /**
     * Sets element {@code i} of the block at {@code y[yb..]} to the representable value nearest {@code v}.
     *
     * @return that value, as ggml's dequantization computes it
     */
    public float round(byte[] y, int yb, int i, float v) {
        return rounding.round(y, yb, i, v);
    }

    /** The grid for {@code type}, or null when the type has none (F16, BF16, F32, ...). */
    public static BlockGrid forType(GgmlType type) {
        return switch (type) {
            case Q8_0 -> new BlockGrid(type, BlockGrid::roundQ8_0);
            case Q4_0 -> new BlockGrid(type, BlockGrid::roundQ4_0);
            case Q4_1 -> new BlockGrid(type, BlockGrid::roundQ4_1);
            case Q5_0 -> new BlockGrid(type, BlockGrid::roundQ5_0);
            case Q5_1 -> new BlockGrid(type, BlockGrid::roundQ5_1);
            case Q2_K -> new BlockGrid(type, BlockGrid::roundQ2_K);
            case Q3_K -> new BlockGrid(type, BlockGrid::roundQ3_K);
            case Q4_K -> new BlockGrid(type, BlockGrid::roundQ4_K);
            case Q5_K -> new BlockGrid(type, BlockGrid::roundQ5_K);
            case Q6_K -> new BlockGrid(type, BlockGrid::roundQ6_K);
            case IQ4_NL -> new BlockGrid(type, BlockGrid::roundIQ4_NL);
            case IQ4_XS -> new BlockGrid(type, BlockGrid::roundIQ4_XS);
            default -> null;
        };
    }

    /** Nearest level in [lo, hi] for value = a·q + c; a == 0 means every level gives c (level 0 kept). */
    static int level(float v, float a, float c, int lo, int hi) {
        if (a == 0) {
            return Math.max(lo, Math.min(hi, 0));
        }
        int q = QuantMath.nearestInt((v - c) / a);
        return Math.max(lo, Math.min(hi, q));
    }

    static float h(byte[] y, int o) {
        return QuantMath.fp16ToFloat((short) ((y[o] & 0xFF) | (y[o + 1] << 8)));
    }

    /** Writes a 4-bit value into the low (i &lt; 16) or high nibble of byte {@code qs + i % 16}. */
    static void nibble32(byte[] y, int qs, int i, int q) {
        int o = qs + (i & 15);
        y[o] = (byte) (i < 16 ? (y[o] & 0xF0) | q : (y[o] & 0x0F) | (q << 4));
    }

    static void bit(byte[] y, int o, int bit, boolean set) {
        y[o] = (byte) (set ? y[o] | (1 << bit) : y[o] & ~(1 << bit));
    }

    /** Index into the IQ4 table nearest v / a (a may be negative or zero). */
    static int nearestNl(float v, float a) {
        int best = 0;
        float bestErr = Float.MAX_VALUE;
        for (int q = 0; q < 16; q++) {
            float e = Math.abs(v - a * NonLinear4.VALUES[q]);
            if (e < bestErr) {
                bestErr = e;
                best = q;
            }
        }
        return best;
    }

    private static float roundQ8_0(byte[] y, int yb, int i, float v) {
        float d = h(y, yb);
        int q = level(v, d, 0, -127, 127);
        y[yb + 2 + i] = (byte) q;
        return d * q;
    }

    private static float roundQ4_0(byte[] y, int yb, int i, float v) {
        float d = h(y, yb);
        int q = level(v, d, -8 * d, 0, 15);
        nibble32(y, yb + 2, i, q);
        return (q - 8) * d;
    }

    private static float roundQ4_1(byte[] y, int yb, int i, float v) {
        float d = h(y, yb);
        float m = h(y, yb + 2);
        int q = level(v, d, m, 0, 15);
        nibble32(y, yb + 4, i, q);
        return q * d + m;
    }

    private static float roundQ5_0(byte[] y, int yb, int i, float v) {
        float d = h(y, yb);
        int q = level(v, d, -16 * d, 0, 31);
        nibble32(y, yb + 6, i, q & 15);
        bit(y, yb + 2 + i / 8, i % 8, (q & 16) != 0);
        return (q - 16) * d;
    }

    private static float roundQ5_1(byte[] y, int yb, int i, float v) {
        float d = h(y, yb);
        float m = h(y, yb + 2);
        int q = level(v, d, m, 0, 31);
        nibble32(y, yb + 8, i, q & 15);
        bit(y, yb + 4 + i / 8, i % 8, (q & 16) != 0);
        return q * d + m;
    }

    /** The 2-bit field of element i in the Q2_K/Q3_K qs layout starting at {@code qs}. */
    static void put2(byte[] y, int qs, int i, int q) {
        int r = i % 128;
        int o = qs + 32 * (i / 128) + r % 32;
        int shift = 2 * (r / 32);
        y[o] = (byte) ((y[o] & ~(3 << shift)) | (q << shift));
    }

    private static float roundQ2_K(byte[] y, int yb, int i, float v) {
        int sc = y[yb + i / 16] & 0xFF;
        float dl = h(y, yb + 80) * (sc & 0xF);
        float ml = h(y, yb + 82) * (sc >> 4);
        int q = level(v, dl, -ml, 0, 3);
        put2(y, yb + 16, i, q);
        return dl * q - ml;
    }

    private static float roundQ3_K(byte[] y, int yb, int i, float v) {
        int j = i / 16;
        int low = j < 8 ? y[yb + 96 + j] & 0xF : (y[yb + 96 + j - 8] & 0xFF) >> 4;
        int sc = (low | (((y[yb + 96 + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4) - 32;
        float dl = h(y, yb + 108) * sc;
        int q = level(v, dl, -4 * dl, 0, 7);
        put2(y, yb + 32, i, q & 3);
        bit(y, yb + i % 32, i / 32, q >= 4);
        return dl * (q - 4);
    }

    private static float roundQ4_K(byte[] y, int yb, int i, float v) {
        int g = i / 32;
        float dl = h(y, yb) * KScaleMin.scale(y, yb + 4, g);
        float ml = h(y, yb + 2) * KScaleMin.min(y, yb + 4, g);
        int q = level(v, dl, -ml, 0, 15);
        putNibble64(y, yb + 16, i, q);
        return dl * q - ml;
    }

    /** Q4_K/Q5_K low nibbles: per 64-chunk c, byte l holds element 64c + l (low) and 64c + 32 + l (high). */
    static void putNibble64(byte[] y, int qs, int i, int q) {
        int r = i % 64;
        int o = qs + 32 * (i / 64) + r % 32;
        y[o] = (byte) (r < 32 ? (y[o] & 0xF0) | q : (y[o] & 0x0F) | (q << 4));
    }

    private static float roundQ5_K(byte[] y, int yb, int i, float v) {
        int g = i / 32;
        float dl = h(y, yb) * KScaleMin.scale(y, yb + 4, g);
        float ml = h(y, yb + 2) * KScaleMin.min(y, yb + 4, g);
        int q = level(v, dl, -ml, 0, 31);
        putNibble64(y, yb + 48, i, q & 15);
        int r = i % 64;
        bit(y, yb + 16 + r % 32, 2 * (i / 64) + (r < 32 ? 0 : 1), (q & 16) != 0);
        return dl * q - ml;
    }

    private static float roundQ6_K(byte[] y, int yb, int i, float v) {
        float dl = h(y, yb + 208) * y[yb + 192 + i / 16];
        int q = level(v, dl, -32 * dl, 0, 63);
        int half = i / 128;
        int r = i % 128;
        int k = r / 32;
        int l = r % 32;
        int ql = yb + 64 * half + l + (k % 2 == 1 ? 32 : 0);
        y[ql] = (byte) (k < 2 ? (y[ql] & 0xF0) | (q & 15) : (y[ql] & 0x0F) | ((q & 15) << 4));
        int qh = yb + 128 + 32 * half + l;
        y[qh] = (byte) ((y[qh] & ~(3 << 2 * k)) | ((q >> 4) << 2 * k));
        return dl * (q - 32);
    }

    private static float roundIQ4_NL(byte[] y, int yb, int i, float v) {
        float d = h(y, yb);
        int q = nearestNl(v, d);
        nibble32(y, yb + 2, i, q);
        return d * NonLinear4.VALUES[q];
    }

    private static float roundIQ4_XS(byte[] y, int yb, int i, float v) {
        int b = i / 32;
        int low = ((y[yb + 4 + b / 2] & 0xFF) >> (4 * (b % 2))) & 0xF;
        int high = (((y[yb + 2] & 0xFF) | (y[yb + 3] & 0xFF) << 8) >> (2 * b)) & 3;
        float dl = h(y, yb) * ((low | high << 4) - 32);
        int q = nearestNl(v, dl);
        nibble32(y, yb + 8 + 16 * b, i % 32, q);
        return dl * NonLinear4.VALUES[q];
    }
}
