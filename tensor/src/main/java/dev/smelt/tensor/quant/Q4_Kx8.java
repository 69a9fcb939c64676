package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Q4_0x8.CHUNKS;
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
 * A Q4_K weight matrix [rows, cols] repacked at load into 8-row interleaved blocks for the integer
 * decode kernel, as llama.cpp's Q4_Kx8: activations are quantized once per matmul to Q8_K-style int8
 * 256-blocks with per-16 sums ({@link Q8Activations}, block 256), and per row and 256-block
 *
 * <pre>  Σ_i w_i·x_i ≈ d·d_x·Σ_j sc_j·Σ_{i∈j} q_i·a_i − dmin·d_x·Σ_j m_j·Σ_{i∈j} a_i</pre>
 *
 * over the 8 sub-blocks j of 32 values, with 4-bit q ∈ [0,15], int8 a ∈ [−127,127] and the 6-bit
 * integer scales sc_j and mins m_j. Everything left of the float scales is an exact integer: a
 * sub-block's products are summed in 16-bit lanes (each lane takes 32/K products of at most
 * 15·127 = 1905: 8·1905 = 15240 on AVX-512, K = 4, and 16·1905 = 30480 on AVX2, K = 2, both
 * &lt; 32768), widened once per sub-block, × sc_j in 32-bit lanes and summed over the block before
 * one float multiply.
 *
 * <p>Weights: the Q4_0x8 lane layout per sub-block (rows in lanes, four unsigned nibbles per 16-bit
 * lane, so one shift and one mask extract a step), at byte 128·((g·nb + b)·8 + j) for 8-row group g,
 * block b. Scales: bytes [((g·nb + b)·8 + j)·LI + l] = sc_j of the row of 32-bit lane l (LI = S/2
 * lanes, each row's repeated), so a byte load widens straight into the multiplier; mins: bytes
 * [((g·nb + b)·8 + j)·8 + r]; d and dmin: floats [(g·nb + b)·8 + r]. Cost per 8 rows × 256 columns:
 * 1024 + 8·LI + 64 + 64 bytes vs the Q4_K's 1152 (≈ 1.11× on AVX-512) off-heap and on-heap; the
 * source stays mapped (prefill and row reads still use it).
 *
 * <p>Immutable after construction; {@link #matmul} is thread-safe (per-thread activation buffers).
 */
public final class Q4_Kx8 extends Interleaved8 {
    /** 32-bit lanes per vector (16 on AVX-512). */
    private static final int LI = LS / 2;
    private static final VectorSpecies<Byte> BI = VectorSpecies.of(byte.class, VectorShape.forBitSize(LI * 8));
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /** Float lane j of FS holds row j / (LI/8): each row's scale repeated. */
    private static final VectorShuffle<Float> SCALE = VectorShuffle.fromOp(FS, j -> j / (LI / ROWS));
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);


    private final MemorySegment source;
    private final long sourceOffset;
    private final MemorySegment packed;
    private final byte[] scales;
    private final byte[] mins;
    /** [groups·nb·8 + 8]: the tail pads a full-vector load of the last block's 8 floats. */
    private final float[] d;
    private final float[] dmin;

    private Q4_Kx8(MemorySegment source, long sourceOffset, int rows, int cols) {
        super(rows, cols);
        this.source = source;
        this.sourceOffset = sourceOffset;
        int nb = cols / 256;
        this.packed = Arena.ofAuto().allocate((long) groups * nb * 8 * 128, 64);
        this.scales = new byte[groups * nb * 8 * LI];
        this.mins = new byte[groups * nb * 8 * ROWS];
        this.d = new float[groups * nb * ROWS + 2 * ROWS];
        this.dmin = new float[groups * nb * ROWS + 2 * ROWS];
    }

    /** Repacks Q4_K rows [rows, cols] stored row-major at {@code offset} of {@code w}. */
    public static Q4_Kx8 repack(MemorySegment w, long offset, int rows, int cols) {
        if (cols % 256 != 0 || rows <= 0) {
            throw new IllegalArgumentException("Q4_K matrix [" + rows + ", " + cols + "]: cols must be a positive multiple of 256");
        }
        Q4_Kx8 p = new Q4_Kx8(w, offset, rows, cols);
        int nb = cols / 256;
        long rowBytes = GgmlType.Q4_K.bytesFor(cols);
        for (int g = 0; g < p.groups; g++) {
            for (int b = 0; b < nb; b++) {
                int gb = g * nb + b;
                for (int r = 0; r < ROWS; r++) {
                    int row = g * ROWS + r;
                    boolean real = row < rows;
                    long src = offset + row * rowBytes + 144L * b;
                    p.d[gb * ROWS + r] = real ? Float.float16ToFloat(w.get(LE_SHORT, src)) : 0f;
                    p.dmin[gb * ROWS + r] = real ? Float.float16ToFloat(w.get(LE_SHORT, src + 2)) : 0f;
                    for (int j = 0; j < 8; j++) {
                        int sj = gb * 8 + j;
                        p.mins[sj * ROWS + r] = (byte) (real ? ScalarFormats.minK(w, src + 4, j) : 0);
                        for (int l = r * (LI / ROWS); l < (r + 1) * (LI / ROWS); l++) {
                            p.scales[sj * LI + l] = (byte) (real ? ScalarFormats.scale(w, src + 4, j) : 0);
                        }
                        long dst = 128L * sj;
                        for (int k = 0; k < K; k++) {
                            for (int c = 0; c < 32 / (4 * K); c++) {
                                int v = 0;
                                for (int i = 0; i < 4; i++) {
                                    v |= (real ? nibble(w, src, 32 * j + (c * 4 + i) * K + k) : 0) << (4 * i);
                                }
                                p.packed.set(LE_SHORT, dst + 2L * (c * LS + r * K + k), (short) v);
                            }
                        }
                    }
                }
            }
        }
        return p;
    }

    /** Element e (0..255) of the Q4_K block at {@code src}: its unsigned 4-bit q. */
    private static int nibble(MemorySegment w, long src, int e) {
        int j = e / 32;
        int q = w.get(ValueLayout.JAVA_BYTE, src + 16 + 32 * (j / 2) + e % 32) & 0xFF;
        return j % 2 == 0 ? q & 15 : q >> 4;
    }

    @Override
    int activationBlock() {
        return Q8Activations.BLOCK_K;
    }

    @Override
    float dotReference(int r, Q8Activations a) {
        return dotReference(source, sourceOffset + r * GgmlType.Q4_K.bytesFor(cols), a);
    }

    @Override
    void group(int g, Act act, float[] out, int outOff) {
        short[] xs = act.xs;
        float[] dx = act.a.d;
        int[] sums32 = act.sums32;
        boolean expand = act.expand;
        int nb = cols / 256;
        FloatVector acc = FloatVector.zero(FS);
        FloatVector accMin = FloatVector.zero(F8);
        for (int b = 0; b < nb; b++) {
            int gb = g * nb + b;
            IntVector isum = IntVector.zero(IS);
            IntVector msum = IntVector.zero(I8);
            for (int j = 0; j < 8; j++) {
                int sj = gb * 8 + j;
                int e = b * 256 + 32 * j; // activation element of the sub-block's start
                long wo = 128L * sj;
                ShortVector sum = ShortVector.zero(S);
                if (expand) {
                    for (int c = 0; c < CHUNKS; c++) {
                        ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * c * LS, ByteOrder.LITTLE_ENDIAN);
                        int xc = e * ROWS + 4 * c * LS;
                        sum = sum.add(q.and((short) 15).mul(ShortVector.fromArray(S, xs, xc)))
                                .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 15).mul(ShortVector.fromArray(S, xs, xc + LS)))
                                .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 15).mul(ShortVector.fromArray(S, xs, xc + 2 * LS)))
                                .add(q.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromArray(S, xs, xc + 3 * LS)));
                    }
                } else {
                    ShortVector x0 = ShortVector.fromArray(S, xs, e);
                    ShortVector x1 = LS == 32 ? x0 : ShortVector.fromArray(S, xs, e + 16);
                    for (int c = 0; c < CHUNKS; c++) {
                        ShortVector xa = c < CHUNKS / 2 || LS == 32 ? x0 : x1; // AVX2: elements 16.. in the second vector
                        ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * c * LS, ByteOrder.LITTLE_ENDIAN);
                        sum = sum.add(q.and((short) 15).mul(xa.rearrange(STEP[4 * c])))
                                .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 15).mul(xa.rearrange(STEP[4 * c + 1])))
                                .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 15).mul(xa.rearrange(STEP[4 * c + 2])))
                                .add(q.lanewise(VectorOperators.LSHR, 12).mul(xa.rearrange(STEP[4 * c + 3])));
                    }
                }
                IntVector wide = widenPairs(sum);
                IntVector sc = (IntVector) ByteVector.fromArray(BI, scales, sj * LI).convertShape(VectorOperators.B2I, IS, 0);
                isum = wide.mul(sc).add(isum);
                IntVector m = (IntVector) ByteVector.fromArray(B8, mins, sj * ROWS).convertShape(VectorOperators.B2I, I8, 0);
                msum = m.mul(sums32[b * 8 + j]).add(msum);
            }
            float db = dx[b];
            FloatVector scale = FloatVector.fromArray(FS, d, gb * ROWS).rearrange(SCALE).mul(db);
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, FS, 0)).fma(scale, acc);
            FloatVector mscale = FloatVector.fromArray(F8, dmin, gb * ROWS).mul(db);
            accMin = ((FloatVector) msum.convertShape(VectorOperators.I2F, F8, 0)).fma(mscale, accMin);
        }
        storeRows(acc, g, out, outOff);
        float[] minLanes = accMin.toArray();
        for (int r = 0; r < ROWS && g * ROWS + r < rows; r++) {
            out[outOff + g * ROWS + r] -= minLanes[r];
        }
    }

    /**
     * Scalar oracle on the original Q4_K layout: Σ_b d_x·(d·Σ_j sc_j·Σ q·a − dmin·Σ_j m_j·Σ a) for one
     * row of {@code a.n} elements at byte {@code offset} ({@code a} quantized with 256-blocks).
     */
    static float dotReference(MemorySegment w, long offset, Q8Activations a) {
        float s = 0;
        float sMin = 0;
        for (int b = 0; b < a.n / 256; b++) {
            long off = offset + 144L * b;
            int sumi = 0;
            int summ = 0;
            for (int j = 0; j < 8; j++) {
                int isum = 0;
                for (int l = 0; l < 32; l++) {
                    isum += nibble(w, off, 32 * j + l) * a.q[b * 256 + 32 * j + l];
                }
                sumi += ScalarFormats.scale(w, off + 4, j) * isum;
                summ += ScalarFormats.minK(w, off + 4, j) * (a.sums[b * 16 + 2 * j] + a.sums[b * 16 + 2 * j + 1]);
            }
            s += sumi * (Float.float16ToFloat(w.get(LE_SHORT, off)) * a.d[b]);
            sMin += summ * (Float.float16ToFloat(w.get(LE_SHORT, off + 2)) * a.d[b]);
        }
        return s - sMin;
    }
}
