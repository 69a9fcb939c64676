package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Q4_0x8.FS;
import static dev.smelt.tensor.quant.Q4_0x8.IS;
import static dev.smelt.tensor.quant.Q4_0x8.K;
import static dev.smelt.tensor.quant.Q4_0x8.LS;
import static dev.smelt.tensor.quant.Q4_0x8.ROWS;
import static dev.smelt.tensor.quant.Q4_0x8.S;

import dev.smelt.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * A Q8_0 weight matrix [rows, cols] repacked at load into 8-row interleaved blocks for the integer
 * decode kernel: activations quantized once per matmul to Q8_0-style int8 blocks (|a| ≤ 127), and
 * int8 × int8 products summed in 16-bit lanes two at a time. That is exact for every int8 weight,
 * including −128 (which llama.cpp's quantizer never writes: q = round(x/d), d = amax/127, so |q| ≤ 127,
 * but another writer may): |w·a| ≤ 128·127 = 16256, so a pair sums to at most 32512 &lt; 32768. Each
 * pair is widened to int32 ({@link #widenPairs}), a block's int32 sums are scaled once in float by d_w·d_x.
 *
 * <p>Layout of group g (rows 8g..8g+7), block b, at byte 256·(g·nb + b): T/2 vectors of S 16-bit
 * lanes (T = 32/K steps per block); lane r·K + k of vector v holds row r's element (2v)·K + k in its
 * low byte and element (2v + 1)·K + k in its high byte, so a load gives two steps: the high byte by
 * one arithmetic shift, the low one by a shift pair (no byte-to-short conversion). Weights stay one
 * byte each (the decode is bandwidth-bound at 2 threads). Scales as floats at [8·(g·nb + b) + r].
 * Cost per 8 rows × 32 columns: 256 + 32 bytes vs Q8_0's 272 (≈ 1.06×), off-heap and on-heap; the
 * source stays mapped (prefill, embedding rows and training read it).
 *
 * <p>Immutable after construction; {@link #matmul} is thread-safe (per-thread activation buffers).
 */
public final class Q8_0x8 extends Interleaved8 {
    /** Steps per block (each step: K elements of 8 rows); two per 16-bit vector. */
    private static final int T = 32 / K;
    private static final int V = T / 2;
    private static final VectorShuffle<Float> SCALE = VectorShuffle.fromOp(FS, j -> j / (FS.length() / ROWS));
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment source;
    private final long sourceOffset;
    private final MemorySegment packed;
    /** [groups·nb·8 + 8]: the tail pads the 16-lane load of the last block (AVX-512). */
    private final float[] scales;

    private Q8_0x8(MemorySegment source, long sourceOffset, int rows, int cols) {
        super(rows, cols);
        this.source = source;
        this.sourceOffset = sourceOffset;
        int nb = cols / 32;
        this.packed = Arena.ofAuto().allocate((long) groups * nb * 32 * ROWS, 64);
        this.scales = new float[groups * nb * ROWS + 2 * ROWS];
    }

    /** Repacks Q8_0 rows [rows, cols] stored row-major at {@code offset} of {@code w}. */
    public static Q8_0x8 repack(MemorySegment w, long offset, int rows, int cols) {
        if (cols % 32 != 0 || rows <= 0) {
            throw new IllegalArgumentException("Q8_0 matrix [" + rows + ", " + cols + "]: cols must be a positive multiple of 32");
        }
        Q8_0x8 p = new Q8_0x8(w, offset, rows, cols);
        int nb = cols / 32;
        long rowBytes = GgmlType.Q8_0.bytesFor(cols);
        for (int g = 0; g < p.groups; g++) {
            for (int b = 0; b < nb; b++) {
                long dst = 256L * ((long) g * nb + b);
                for (int r = 0; r < ROWS; r++) {
                    int row = g * ROWS + r;
                    long src = offset + row * rowBytes + 34L * b;
                    for (int v = 0; v < V; v++) {
                        for (int k = 0; k < K; k++) {
                            long lane = dst + 2L * (v * LS + r * K + k);
                            p.packed.set(ValueLayout.JAVA_BYTE, lane, row < rows ? w.get(ValueLayout.JAVA_BYTE, src + 2 + 2 * v * K + k) : 0);
                            p.packed.set(ValueLayout.JAVA_BYTE, lane + 1, row < rows ? w.get(ValueLayout.JAVA_BYTE, src + 2 + (2 * v + 1) * K + k) : 0);
                        }
                    }
                    p.scales[(g * nb + b) * ROWS + r] = row < rows ? Float.float16ToFloat(w.get(LE_SHORT, src)) : 0f;
                }
            }
        }
        return p;
    }

    @Override
    int activationBlock() {
        return Q8Activations.BLOCK;
    }

    @Override
    float dotReference(int r, Q8Activations a) {
        return dotReference(source, sourceOffset + r * GgmlType.Q8_0.bytesFor(cols), a);
    }

    /**
     * Two loops, one per activation layout, each in its own method: one method with both (and a null
     * x0 on the expanded path) saw both profiles in one model (896- and 4864-column matrices), was
     * deoptimized until C2 gave up, and ran the Vector API's Java fallback (~40× slower).
     */
    @Override
    void group(int g, Act act, float[] out, int outOff) {
        FloatVector acc = act.expand ? expanded(g, act) : permuted(g, act);
        storeRows(acc, g, out, outOff);
    }

    /** Activations loaded from the per-matmul expanded copy (rows of at most {@link Q4_0x8#EXPAND_MAX_COLS}). */
    private FloatVector expanded(int g, Act act) {
        short[] xs = act.xs;
        float[] dx = act.a.d;
        int nb = cols / 32;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < nb; b++) {
            IntVector isum = IntVector.zero(IS);
            long wo = 256L * ((long) g * nb + b);
            for (int v = 0; v < V; v++) {
                ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * v * LS, ByteOrder.LITTLE_ENDIAN);
                int xo = b * 256 + 2 * v * LS;
                // Two products per lane, ≤ 2·128·127 = 32512: exact in 16 bits, widened before the next pair.
                ShortVector pair = q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(ShortVector.fromArray(S, xs, xo))
                        .add(q.lanewise(VectorOperators.ASHR, 8).mul(ShortVector.fromArray(S, xs, xo + LS)));
                isum = isum.add(widenPairs(pair));
            }
            acc = scaled(isum, g * nb + b, dx[b], acc);
        }
        return acc;
    }

    /** Activations permuted in registers from the block's widened values (longer rows). */
    private FloatVector permuted(int g, Act act) {
        short[] xs = act.xs;
        float[] dx = act.a.d;
        int nb = cols / 32;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < nb; b++) {
            IntVector isum = IntVector.zero(IS);
            long wo = 256L * ((long) g * nb + b);
            ShortVector x0 = ShortVector.fromArray(S, xs, b * 32);
            ShortVector x1 = LS == 32 ? x0 : ShortVector.fromArray(S, xs, b * 32 + 16);
            for (int v = 0; v < V; v++) {
                ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * v * LS, ByteOrder.LITTLE_ENDIAN);
                ShortVector pair = q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).mul(step(xs, b, 2 * v, false, x0, x1))
                        .add(q.lanewise(VectorOperators.ASHR, 8).mul(step(xs, b, 2 * v + 1, false, x0, x1)));
                isum = isum.add(widenPairs(pair));
            }
            acc = scaled(isum, g * nb + b, dx[b], acc);
        }
        return acc;
    }

    /** acc + isum · d_w[row of the lane] · d_x for block {@code gb} (= g·nb + b). */
    private FloatVector scaled(IntVector isum, int gb, float dx, FloatVector acc) {
        FloatVector scale = FloatVector.fromArray(FS, scales, gb * ROWS).rearrange(SCALE).mul(dx);
        return ((FloatVector) isum.convertShape(VectorOperators.I2F, FS, 0)).fma(scale, acc);
    }

    /** Scalar oracle on the original Q8_0 layout: Σ_b d_w·d_x·Σ_i q_i·a_i for one row at byte {@code offset}. */
    static float dotReference(MemorySegment w, long offset, Q8Activations a) {
        float s = 0;
        for (int b = 0; b < a.n / 32; b++) {
            long off = offset + 34L * b;
            int isum = 0;
            for (int e = 0; e < 32; e++) {
                isum += w.get(ValueLayout.JAVA_BYTE, off + 2 + e) * a.q[b * 32 + e];
            }
            s += isum * (Float.float16ToFloat(w.get(LE_SHORT, off)) * a.d[b]);
        }
        return s;
    }
}
