package dev.smelt.tensor.quant;

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
 * A Q4_0 weight matrix [rows, cols] repacked at load into 8-row interleaved blocks for the integer
 * decode kernel (batch 1): activations are quantized once per matmul to Q8_0-style int8 blocks
 * ({@link Q8Activations}) and a block's 32 int4 × int8 products are summed exactly in 16-bit lanes
 * (|product| ≤ 8·127 = 1016, at most 16 per lane per block, so |sum| ≤ 16256 &lt; 32768), widened to
 * int32 once per block and scaled in float by d_w·d_x.
 *
 * <p>Lanes hold (row r, element k) pairs: with S = 16-bit lanes per vector (32 on AVX-512, 16 on
 * AVX2) and K = S/8, one vector covers K consecutive elements of 8 rows, lane r·K + k. Each step's
 * activation vector (each value repeated for the 8 rows) is either loaded from a copy expanded once
 * per matmul (short rows, where the copy stays in L1) or permuted in registers from the block's
 * activations (long rows; {@link #EXPAND_MAX_COLS}), so a step is a multiply and an add per vector;
 * no horizontal work until the block's end, where each 32-bit lane (two lanes of one row) is split
 * and summed.
 *
 * <p>Layout of group g (rows 8g..8g+7), block b, at byte 128·(g·nb + b): 128/(2S) vectors of S
 * 16-bit lanes; lane r·K + k of vector c holds four 4-bit two's-complement values q − 8, nibble i
 * (bits 4i..4i+3) = row r's element (4c + i)·K + k, so the kernel sign-extends each with a shift
 * pair and no byte-to-short conversion (measured: a byte layout widened with B2S ran at ~60% of the
 * F32 kernel's speed). Scales as floats at
 * [8·(g·nb + b) + r]. Rows past {@code rows} in the last group are zero. Cost: 16/18 of the Q4_0 bytes
 * plus 32 B of float scales per 8 rows × 32 columns (≈ 1.11 × the Q4_0 size) off-heap; the source
 * stays mapped (prefill still reads it).
 *
 * <p>Immutable after construction; {@link #matmul} is thread-safe (per-thread activation buffers).
 */
public final class Q4_0x8 extends Interleaved8 {
    static final int ROWS = 8;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    static final int LS = S.length();
    static final int K = LS / ROWS;
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, S.vectorShape());
    /** Float lane j holds row j / (lanes/8) (32-bit lanes r·K/2 + h): each scale repeated. */
    private static final VectorShuffle<Float> SCALE = VectorShuffle.fromOp(FS, j -> j / (FS.length() / ROWS));
    /** 16-bit vectors per 8-row block: 2 on AVX-512, 4 on AVX2. */
    /**
     * Up to this many columns the activations are pre-expanded to each step's lane order (16 B per
     * column: 16 KiB, half of a 32 KiB L1d) and loaded, not permuted in registers; beyond it the
     * expanded copy falls out of L1 and the permutes win. Measured on Zen 4 (1 thread, loaded machine):
     * 4864×896 expanded 9.9 vs permuted 7.8 GB/s; 896×4864 expanded 8.8 vs permuted 9.2 GB/s.
     */
    static final int EXPAND_MAX_COLS = 1024;
    static final int CHUNKS = Math.max(1, 128 / (2 * LS));
    /** Step t's activations for lane r·K + k: element t·K + k (mod 16 on AVX2, where a block is two vectors). */
    static final VectorShuffle<Short>[] STEP = shuffles();
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);


    private final MemorySegment source;
    private final long sourceOffset;
    private final MemorySegment packed;
    /** [groups·nb·8 + 8]: the tail pads the 16-lane load of the last block (AVX-512). */
    private final float[] scales;

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Short>[] shuffles() {
        VectorShuffle<Short>[] s = new VectorShuffle[Math.max(1, 32 / Math.max(1, K))];
        for (int t = 0; t < s.length; t++) {
            int e0 = t * K;
            s[t] = VectorShuffle.fromOp(S, l -> (e0 + l % K) % LS);
        }
        return s;
    }

    private Q4_0x8(MemorySegment source, long sourceOffset, int rows, int cols) {
        super(rows, cols);
        this.source = source;
        this.sourceOffset = sourceOffset;
        int nb = cols / 32;
        this.packed = Arena.ofAuto().allocate((long) groups * nb * 16 * ROWS, 64);
        this.scales = new float[groups * nb * ROWS + ROWS];
    }

    /** True when the vector kernel's lane assumptions hold (16 or 32 16-bit lanes). */
    public static boolean supported() {
        return (LS == 16 || LS == 32) && Simd.supported() && !Boolean.getBoolean("smelt.scalar");
    }

    /** Whether loaders should repack Q4_0 matrices: {@link Repacked#enabled}. */
    public static boolean enabled() {
        return Repacked.enabled(GgmlType.Q4_0);
    }

    /** Repacks Q4_0 rows [rows, cols] stored row-major at {@code offset} of {@code w}. */
    public static Q4_0x8 repack(MemorySegment w, long offset, int rows, int cols) {
        if (cols % 32 != 0 || rows <= 0) {
            throw new IllegalArgumentException("Q4_0 matrix [" + rows + ", " + cols + "]: cols must be a positive multiple of 32");
        }
        Q4_0x8 p = new Q4_0x8(w, offset, rows, cols);
        int nb = cols / 32;
        long rowBytes = GgmlType.Q4_0.bytesFor(cols);
        for (int g = 0; g < p.groups; g++) {
            for (int b = 0; b < nb; b++) {
                long dst = 128L * ((long) g * nb + b);
                for (int r = 0; r < ROWS; r++) {
                    int row = g * ROWS + r;
                    long src = offset + row * rowBytes + 18L * b;
                    for (int k = 0; k < K; k++) {
                        for (int c = 0; c < 32 / (4 * K); c++) {
                            int v = 0;
                            for (int i = 0; i < 4; i++) {
                                v |= (row < rows ? nibble(w, src, (c * 4 + i) * K + k) : 0) << (4 * i);
                            }
                            p.packed.set(LE_SHORT, dst + 2L * (c * LS + r * K + k), (short) v);
                        }
                    }
                    p.scales[(g * nb + b) * ROWS + r] = row < rows ? Float.float16ToFloat(w.get(LE_SHORT, src)) : 0f;
                }
            }
        }
        return p;
    }

    /** Element e of the Q4_0 block at {@code src} as a 4-bit two's-complement value (q − 8) &amp; 15. */
    private static int nibble(MemorySegment w, long src, int e) {
        int q = w.get(ValueLayout.JAVA_BYTE, src + 2 + (e & 15)) & 0xFF;
        return ((e < 16 ? q & 15 : q >> 4) - 8) & 15;
    }

    /** Rows interleaved per group (8). */
    public static int rowsPerGroup() {
        return ROWS;
    }

    /** Consecutive elements per row in one 16-bit vector (K = lanes / 8). */
    public static int elementsPerStep() {
        return K;
    }

    @Override
    int activationBlock() {
        return Q8Activations.BLOCK;
    }

    @Override
    float dotReference(int r, Q8Activations a) {
        return dotReference(source, sourceOffset + r * GgmlType.Q4_0.bytesFor(cols), a);
    }

    @Override
    void group(int g, Act act, float[] out, int outOff) {
        short[] xs = act.xs;
        float[] dx = act.a.d;
        boolean expand = act.expand;
        int nb = cols / 32;
        FloatVector acc = FloatVector.zero(FS);
        long wBase = 128L * g * nb;
        int sBase = g * nb * ROWS;
        for (int b = 0; b < nb; b++) {
            ShortVector sum = ShortVector.zero(S);
            long wo = wBase + 128L * b;
            ShortVector x0 = ShortVector.fromArray(S, xs, b * 32);
            ShortVector x1 = LS == 32 ? x0 : ShortVector.fromArray(S, xs, b * 32 + 16);
            if (expand) {
                int xo = b * 256;
                for (int c = 0; c < CHUNKS; c++) {
                    ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * c * LS, ByteOrder.LITTLE_ENDIAN);
                    int xc = xo + 4 * c * LS;
                    sum = sum.add(q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12).mul(ShortVector.fromArray(S, xs, xc)))
                            .add(q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 12).mul(ShortVector.fromArray(S, xs, xc + LS)))
                            .add(q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 12).mul(ShortVector.fromArray(S, xs, xc + 2 * LS)))
                            .add(q.lanewise(VectorOperators.ASHR, 12).mul(ShortVector.fromArray(S, xs, xc + 3 * LS)));
                }
            } else for (int c = 0; c < CHUNKS; c++) {
                // Four nibbles per 16-bit lane: steps 4c..4c+3, each sign-extended by a shift pair.
                ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * c * LS, ByteOrder.LITTLE_ENDIAN);
                ShortVector xa = c < CHUNKS / 2 || LS == 32 ? x0 : x1;
                sum = sum.add(q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12).mul(xa.rearrange(STEP[4 * c])))
                        .add(q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 12).mul(xa.rearrange(STEP[4 * c + 1])))
                        .add(q.lanewise(VectorOperators.LSHL, 4).lanewise(VectorOperators.ASHR, 12).mul(xa.rearrange(STEP[4 * c + 2])))
                        .add(q.lanewise(VectorOperators.ASHR, 12).mul(xa.rearrange(STEP[4 * c + 3])));
            }
            IntVector isum = widenPairs(sum);
            FloatVector scale = FloatVector.fromArray(FS, scales, sBase + b * ROWS).rearrange(SCALE).mul(dx[b]);
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, FS, 0)).fma(scale, acc);
        }
        storeRows(acc, g, out, outOff);
    }

    /**
     * Scalar oracle on the original Q4_0 layout: Σ_b d_w·d_x·Σ_i (q_i − 8)·a_i for one row of
     * {@code a.n} elements at byte {@code offset}.
     */
    static float dotReference(MemorySegment w, long offset, Q8Activations a) {
        float s = 0;
        for (int b = 0; b < a.n / 32; b++) {
            long off = offset + 18L * b;
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, off + 2 + j) & 0xFF;
                isum += ((q & 0xF) - 8) * a.q[b * 32 + j] + ((q >> 4) - 8) * a.q[b * 32 + j + 16];
            }
            s += isum * (Float.float16ToFloat(w.get(LE_SHORT, off)) * a.d[b]);
        }
        return s;
    }
}
