package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Q4_0x8.FS;
import static dev.smelt.tensor.quant.Q4_0x8.IS;
import static dev.smelt.tensor.quant.Q4_0x8.K;
import static dev.smelt.tensor.quant.Q4_0x8.LS;
import static dev.smelt.tensor.quant.Q4_0x8.ROWS;
import static dev.smelt.tensor.quant.Q4_0x8.S;
import static dev.smelt.tensor.quant.Q4_0x8.STEP;

import dev.smelt.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q6_K weight matrix [rows, cols] repacked at load into 8-row interleaved blocks for the integer
 * decode kernel: activations quantized once per matmul to Q8_K-style int8 256-blocks, and per row and
 * block Σ w·x ≈ d·d_x·Σ_j sc_j·Σ_{i∈j} (q_i − 32)·a_i over the 16 sub-blocks j of 16 values, with the
 * signed 8-bit scales sc_j. A sub-block's products, |(q − 32)·a| ≤ 32·127 = 4064, sum exactly in
 * 16-bit lanes (16/K per lane: 4·4064 on AVX-512, 8·4064 = 32512 on AVX2, both &lt; 32768), are
 * widened once per sub-block, × sc_j in 32-bit lanes (|Σ| ≤ 16·2·32512·128 &lt; 2³¹) and scaled once
 * per block in float.
 *
 * <p>Weights: per sub-block (group g, block b, sub-block j at byte 128·((g·nb + b)·16 + j)) 16/(2K)
 * vectors of S 16-bit lanes; lane r·K + k of vector v holds two 6-bit two's-complement values q − 32,
 * field i (bits 6i..6i+5) = row r's element 16j + (2v + i)·K + k, sign-extended by a shift pair.
 * Scales: bytes [((g·nb + b)·16 + j)·LI + l] = sc_j of the row of 32-bit lane l (LI = S/2); d: floats
 * [(g·nb + b)·8 + r]. Cost per 8 rows × 256 columns: 2048 + 16·LI + 32 bytes vs the Q6_K's 1680
 * (≈ 1.39× on AVX-512) off-heap and on-heap; the source stays mapped (prefill and row reads use it).
 *
 * <p>Immutable after construction; {@link #matmul} is thread-safe (per-thread activation buffers).
 */
public final class Q6_Kx8 extends Interleaved8 {
    /** 32-bit lanes per vector (16 on AVX-512). */
    private static final int LI = LS / 2;
    /** Steps per 16-value sub-block, and 16-bit vectors holding them (two 6-bit fields per lane). */
    private static final int T = 16 / K;
    private static final int V = T / 2;
    private static final VectorSpecies<Byte> BI = VectorSpecies.of(byte.class, VectorShape.forBitSize(LI * 8));
    private static final VectorShuffle<Float> SCALE = VectorShuffle.fromOp(FS, j -> j / (LI / ROWS));
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment source;
    private final long sourceOffset;
    private final MemorySegment packed;
    private final byte[] scales;
    /** [groups·nb·8 + 16]: the tail pads a full-vector load of the last block's 8 floats. */
    private final float[] d;

    private Q6_Kx8(MemorySegment source, long sourceOffset, int rows, int cols) {
        super(rows, cols);
        this.source = source;
        this.sourceOffset = sourceOffset;
        int nb = cols / 256;
        this.packed = Arena.ofAuto().allocate((long) groups * nb * 16 * 128, 64);
        this.scales = new byte[groups * nb * 16 * LI];
        this.d = new float[groups * nb * ROWS + 2 * ROWS];
    }

    /** Repacks Q6_K rows [rows, cols] stored row-major at {@code offset} of {@code w}. */
    public static Q6_Kx8 repack(MemorySegment w, long offset, int rows, int cols) {
        if (cols % 256 != 0 || rows <= 0) {
            throw new IllegalArgumentException("Q6_K matrix [" + rows + ", " + cols + "]: cols must be a positive multiple of 256");
        }
        Q6_Kx8 p = new Q6_Kx8(w, offset, rows, cols);
        int nb = cols / 256;
        long rowBytes = GgmlType.Q6_K.bytesFor(cols);
        for (int g = 0; g < p.groups; g++) {
            for (int b = 0; b < nb; b++) {
                int gb = g * nb + b;
                for (int r = 0; r < ROWS; r++) {
                    int row = g * ROWS + r;
                    boolean real = row < rows;
                    long src = offset + row * rowBytes + 210L * b;
                    p.d[gb * ROWS + r] = real ? Float.float16ToFloat(w.get(LE_SHORT, src + 208)) : 0f;
                    for (int j = 0; j < 16; j++) {
                        int sj = gb * 16 + j;
                        for (int l = r * (LI / ROWS); l < (r + 1) * (LI / ROWS); l++) {
                            p.scales[sj * LI + l] = real ? w.get(ValueLayout.JAVA_BYTE, src + 192 + j) : 0;
                        }
                        for (int k = 0; k < K; k++) {
                            for (int v = 0; v < V; v++) {
                                int bits = 0;
                                for (int i = 0; i < 2; i++) {
                                    bits |= (real ? value(w, src, 16 * j + (2 * v + i) * K + k) & 63 : 0) << (6 * i);
                                }
                                p.packed.set(LE_SHORT, 128L * sj + 2L * (v * LS + r * K + k), (short) bits);
                            }
                        }
                    }
                }
            }
        }
        return p;
    }

    /** Element e (0..255) of the Q6_K block at {@code src}: q6 − 32 ∈ [−32, 31] (layout: ScalarFormats.Q6_K). */
    static int value(MemorySegment w, long src, int e) {
        int half = e / 128;
        int k = e % 128 / 32;
        int l = e % 32;
        int qlb = w.get(ValueLayout.JAVA_BYTE, src + 64 * half + l + (k % 2 == 1 ? 32 : 0)) & 0xFF;
        int low = k < 2 ? qlb & 0xF : qlb >> 4;
        int hib = ((w.get(ValueLayout.JAVA_BYTE, src + 128 + 32 * half + l) & 0xFF) >> (2 * k)) & 3;
        return (low | hib << 4) - 32;
    }

    @Override
    int activationBlock() {
        return Q8Activations.BLOCK_K;
    }

    @Override
    float dotReference(int r, Q8Activations a) {
        return dotReference(source, sourceOffset + r * GgmlType.Q6_K.bytesFor(cols), a);
    }

    /** Step t (0..32/K) of the 32-value activation block {@code blk}: expanded copy, or permuted from its widened values. */
    private static ShortVector step(short[] xs, int blk, int t, boolean expand) {
        if (expand) {
            return ShortVector.fromArray(S, xs, blk * 256 + t * LS);
        }
        int e = blk * 32 + (LS == 32 || t * K < 16 ? 0 : 16); // AVX2: elements 16.. of the block in a second vector
        return ShortVector.fromArray(S, xs, e).rearrange(STEP[t]);
    }

    @Override
    void group(int g, Act act, float[] out, int outOff) {
        short[] xs = act.xs;
        float[] dx = act.a.d;
        boolean expand = act.expand;
        int nb = cols / 256;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < nb; b++) {
            int gb = g * nb + b;
            IntVector isum = IntVector.zero(IS);
            for (int j = 0; j < 16; j++) {
                int sj = gb * 16 + j;
                int blk = (b * 256 + 16 * j) / 32;
                int t0 = (16 * j % 32) / K;
                ShortVector sum = ShortVector.zero(S);
                for (int v = 0; v < V; v++) {
                    ShortVector q = ShortVector.fromMemorySegment(S, packed, 128L * sj + 2L * v * LS, ByteOrder.LITTLE_ENDIAN);
                    sum = sum.add(q.lanewise(VectorOperators.LSHL, 10).lanewise(VectorOperators.ASHR, 10).mul(step(xs, blk, t0 + 2 * v, expand)))
                            .add(q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 10).mul(step(xs, blk, t0 + 2 * v + 1, expand)));
                }
                IntVector wide = widenPairs(sum);
                IntVector sc = (IntVector) ByteVector.fromArray(BI, scales, sj * LI).convertShape(VectorOperators.B2I, IS, 0);
                isum = wide.mul(sc).add(isum);
            }
            FloatVector scale = FloatVector.fromArray(FS, d, gb * ROWS).rearrange(SCALE).mul(dx[b]);
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, FS, 0)).fma(scale, acc);
        }
        storeRows(acc, g, out, outOff);
    }

    /** Scalar oracle on the original Q6_K layout: Σ_b d·d_x·Σ_j sc_j·Σ (q − 32)·a for one row at byte {@code offset}. */
    static float dotReference(MemorySegment w, long offset, Q8Activations a) {
        float s = 0;
        for (int b = 0; b < a.n / 256; b++) {
            long off = offset + 210L * b;
            int sumi = 0;
            for (int j = 0; j < 16; j++) {
                int isum = 0;
                for (int l = 0; l < 16; l++) {
                    isum += value(w, off, 16 * j + l) * a.q[b * 256 + 16 * j + l];
                }
                sumi += w.get(ValueLayout.JAVA_BYTE, off + 192 + j) * isum;
            }
            s += sumi * (Float.float16ToFloat(w.get(LE_SHORT, off + 208)) * a.d[b]);
        }
        return s;
    }
}
