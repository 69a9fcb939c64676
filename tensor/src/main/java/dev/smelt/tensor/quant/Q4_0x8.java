package dev.smelt.tensor.quant;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
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
 * <p>Lanes hold (element k, row r) pairs: with S = 16-bit lanes per vector (32 on AVX-512, 16 on
 * AVX2) and K = S/8, one vector covers K consecutive elements of 8 rows, and the activation vector
 * (expanded once per matmul, 8 copies of each value) lines up with it, so a step is one multiply and
 * one add per 16-bit lane; no horizontal work until the block's end.
 *
 * <p>Layout of group g (rows 8g..8g+7), block b, at byte 128·(g·nb + b): chunk c (0 ≤ c &lt; 16/K) of
 * S bytes; byte c·S + k·8 + r = row r's Q4_0 byte j = c·K + k, XOR 0x88 so each nibble reads as a
 * signed 4-bit value q − 8 (low nibble: element j; high nibble: element j + 16). Scales as floats at
 * [8·(g·nb + b) + r]. Rows past {@code rows} in the last group are zero. Cost: 16/18 of the Q4_0 bytes
 * plus 32 B of float scales per 8 rows × 32 columns (≈ 1.11 × the Q4_0 size) off-heap; the source
 * stays mapped (prefill still reads it).
 *
 * <p>Immutable after construction; {@link #matmul} is thread-safe (per-thread activation buffers).
 */
public final class Q4_0x8 {
    static final int ROWS = 8;
    /** 8-row groups per parallel task (64 output rows). */
    private static final int GROUPS_PER_TASK = 8;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    static final int LS = S.length();
    static final int K = LS / ROWS;
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(LS * 8));
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    static final VectorSpecies<Float> FS = VectorSpecies.of(float.class, S.vectorShape());
    /** Float lane j holds row j % 8: the 8 scales repeated to fill the vector. */
    private static final VectorShuffle<Float> DUP8 = VectorShuffle.fromOp(FS, j -> j % ROWS);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final ThreadLocal<Q8Activations> ACT = ThreadLocal.withInitial(Q8Activations::new);
    private static final ThreadLocal<short[]> EXPANDED = ThreadLocal.withInitial(() -> new short[0]);

    private final MemorySegment source;
    private final long sourceOffset;
    private final int rows;
    private final int cols;
    private final int groups;
    private final MemorySegment packed;
    /** [groups·nb·8 + 8]: the tail pads the 16-lane load of the last block (AVX-512). */
    private final float[] scales;

    private Q4_0x8(MemorySegment source, long sourceOffset, int rows, int cols) {
        this.source = source;
        this.sourceOffset = sourceOffset;
        this.rows = rows;
        this.cols = cols;
        this.groups = (rows + ROWS - 1) / ROWS;
        int nb = cols / 32;
        this.packed = Arena.ofAuto().allocate((long) groups * nb * 16 * ROWS, 64);
        this.scales = new float[groups * nb * ROWS + ROWS];
    }

    /** True when the vector kernel's lane assumptions hold (16 or 32 16-bit lanes). */
    public static boolean supported() {
        return (LS == 16 || LS == 32) && Simd.supported() && !Boolean.getBoolean("smelt.scalar");
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
                    for (int j = 0; j < 16; j++) {
                        int q = row < rows ? w.get(ValueLayout.JAVA_BYTE, src + 2 + j) : (byte) 0x88;
                        p.packed.set(ValueLayout.JAVA_BYTE, dst + (j / K) * LS + (j % K) * ROWS + r, (byte) (q ^ 0x88));
                    }
                    p.scales[(g * nb + b) * ROWS + r] = row < rows ? Float.float16ToFloat(w.get(LE_SHORT, src)) : 0f;
                }
            }
        }
        return p;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** out[r] = Σ_c W[r, c]·x[c] for one activation row x[cols], through the integer kernel. */
    public void matmul(ThreadPool pool, float[] x, float[] out) {
        Q8Activations a = ACT.get();
        a.quantize(x, 0, cols);
        if (!supported()) {
            long rowBytes = GgmlType.Q4_0.bytesFor(cols);
            pool.parallelFor(rows, r -> out[r] = dotReference(source, sourceOffset + r * rowBytes, a));
            return;
        }
        short[] xs = expand(a);
        int tasks = (groups + GROUPS_PER_TASK - 1) / GROUPS_PER_TASK;
        pool.parallelFor(tasks, t -> {
            int g1 = Math.min(groups, (t + 1) * GROUPS_PER_TASK);
            for (int g = t * GROUPS_PER_TASK; g < g1; g++) {
                group(g, xs, a.d, out);
            }
        });
    }

    /**
     * Activation vectors in the packed order: block b, step s (s = 2c: low nibbles, elements c·K + k;
     * s = 2c + 1: high nibbles, elements 16 + c·K + k) at [(b·32/K + s)·S + k·8 + r] = q[32b + element].
     */
    static short[] expand(Q8Activations a) {
        int n = a.n;
        short[] xs = EXPANDED.get();
        if (xs.length < n * ROWS) {
            xs = new short[n * ROWS];
            EXPANDED.set(xs);
        }
        int steps = 32 / K;
        for (int b = 0; b < n / 32; b++) {
            for (int s = 0; s < steps; s++) {
                int e0 = (s & 1) * 16 + (s >> 1) * K;
                int base = (b * steps + s) * LS;
                for (int k = 0; k < K; k++) {
                    short v = a.q[b * 32 + e0 + k];
                    for (int r = 0; r < ROWS; r++) {
                        xs[base + k * ROWS + r] = v;
                    }
                }
            }
        }
        return xs;
    }

    /** Rows 8g..8g+7 (those below {@code rows}) into out. */
    private void group(int g, short[] xs, float[] dx, float[] out) {
        int nb = cols / 32;
        FloatVector acc = FloatVector.zero(FS);
        long wBase = 128L * g * nb;
        int sBase = g * nb * ROWS;
        for (int b = 0; b < nb; b++) {
            ShortVector sum = ShortVector.zero(S);
            long wo = wBase + 128L * b;
            int xo = b * 256;
            for (int c = 0; c < 16 / K; c++) {
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BS, packed, wo + (long) c * LS, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S, 0);
                ShortVector lo = q.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12);
                ShortVector hi = q.lanewise(VectorOperators.ASHR, 4);
                sum = sum.add(lo.mul(ShortVector.fromArray(S, xs, xo + 2 * c * LS)))
                        .add(hi.mul(ShortVector.fromArray(S, xs, xo + (2 * c + 1) * LS)));
            }
            IntVector isum = ((IntVector) sum.convertShape(VectorOperators.S2I, IS, 0))
                    .add((IntVector) sum.convertShape(VectorOperators.S2I, IS, 1));
            FloatVector scale = FloatVector.fromArray(FS, scales, sBase + b * ROWS).rearrange(DUP8).mul(dx[b]);
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, FS, 0)).fma(scale, acc);
        }
        float[] lanes = acc.toArray();
        for (int r = 0; r < ROWS && g * ROWS + r < rows; r++) {
            float s = 0;
            for (int j = r; j < lanes.length; j += ROWS) {
                s += lanes[j];
            }
            out[g * ROWS + r] = s;
        }
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
