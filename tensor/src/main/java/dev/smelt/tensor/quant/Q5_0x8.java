package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Q4_0x8.FS;
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
 * A Q5_0 weight matrix [rows, cols] repacked at load into 8-row interleaved blocks for the integer
 * decode kernel; the same scheme as {@link Q4_0x8} with 5-bit values: activations quantized once per
 * matmul to Q8_0-style int8 blocks, a block's 32 products (q − 16) · a, |product| ≤ 16·127 = 2032,
 * summed exactly in 16-bit lanes (32/K per lane: ≤ 8·2032 = 16256 on AVX-512, 16·2032 = 32512 on
 * AVX2, both &lt; 32768), widened once per block and scaled in float by d_w·d_x.
 *
 * <p>Layout of group g (rows 8g..8g+7), block b, at byte V·2S·(g·nb + b): V = ⌈T/3⌉ vectors of S
 * 16-bit lanes (T = 32/K steps); lane r·K + k of vector v holds three 5-bit two's-complement values
 * q − 16, field i (bits 5i..5i+4) = row r's element (3v + i)·K + k, each sign-extended by a shift
 * pair as in Q4_0x8 (a byte layout widened with B2S measured slower there). Scales as floats at
 * [8·(g·nb + b) + r]. Cost per 8 rows × 32 columns: 192 + 32 bytes vs Q5_0's 176 (≈ 1.27×) off-heap
 * and on-heap; the source stays mapped (prefill and row reads still use it).
 *
 * <p>Immutable after construction; {@link #matmul} is thread-safe (per-thread activation buffers).
 */
public final class Q5_0x8 extends Interleaved8 {
    /** Steps per block (each step: K elements of 8 rows). */
    private static final int T = 32 / K;
    /** 16-bit vectors per 8-row block: three 5-bit fields per lane. */
    private static final int V = (T + 2) / 3;
    private static final VectorShuffle<Float> SCALE = VectorShuffle.fromOp(FS, j -> j / (FS.length() / ROWS));
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment source;
    private final long sourceOffset;
    private final MemorySegment packed;
    /** [groups·nb·8 + 8]: the tail pads the full-vector load of the last block. */
    private final float[] scales;

    private Q5_0x8(MemorySegment source, long sourceOffset, int rows, int cols) {
        super(rows, cols);
        this.source = source;
        this.sourceOffset = sourceOffset;
        int nb = cols / 32;
        this.packed = Arena.ofAuto().allocate((long) groups * nb * V * LS * 2, 64);
        this.scales = new float[groups * nb * ROWS + 2 * ROWS];
    }

    /** Repacks Q5_0 rows [rows, cols] stored row-major at {@code offset} of {@code w}. */
    public static Q5_0x8 repack(MemorySegment w, long offset, int rows, int cols) {
        if (cols % 32 != 0 || rows <= 0) {
            throw new IllegalArgumentException("Q5_0 matrix [" + rows + ", " + cols + "]: cols must be a positive multiple of 32");
        }
        Q5_0x8 p = new Q5_0x8(w, offset, rows, cols);
        int nb = cols / 32;
        long rowBytes = GgmlType.Q5_0.bytesFor(cols);
        for (int g = 0; g < p.groups; g++) {
            for (int b = 0; b < nb; b++) {
                long dst = (long) V * LS * 2 * ((long) g * nb + b);
                for (int r = 0; r < ROWS; r++) {
                    int row = g * ROWS + r;
                    long src = offset + row * rowBytes + 22L * b;
                    for (int k = 0; k < K; k++) {
                        for (int v = 0; v < V; v++) {
                            int bits = 0;
                            for (int i = 0; i < 3 && 3 * v + i < T; i++) {
                                bits |= (row < rows ? value(w, src, (3 * v + i) * K + k) & 31 : 0) << (5 * i);
                            }
                            p.packed.set(LE_SHORT, dst + 2L * (v * LS + r * K + k), (short) bits);
                        }
                    }
                    p.scales[(g * nb + b) * ROWS + r] = row < rows ? Float.float16ToFloat(w.get(LE_SHORT, src)) : 0f;
                }
            }
        }
        return p;
    }

    /** Element e of the Q5_0 block at {@code src}: q5 − 16 ∈ [−16, 15]. */
    static int value(MemorySegment w, long src, int e) {
        int qh = w.get(LE_INT, src + 2);
        int q = w.get(ValueLayout.JAVA_BYTE, src + 6 + (e & 15)) & 0xFF;
        int lo = e < 16 ? q & 15 : q >> 4;
        return (lo | ((qh >>> e) & 1) << 4) - 16;
    }

    @Override
    int activationBlock() {
        return Q8Activations.BLOCK;
    }

    @Override
    float dotReference(int r, Q8Activations a) {
        return dotReference(source, sourceOffset + r * GgmlType.Q5_0.bytesFor(cols), a);
    }

    /**
     * One loop per activation layout, each in its own method (as Q8_0x8): a single method seeing both
     * (a model with 896- and 4864-column Q5_0 matrices) was deoptimized until C2 gave up and ran the
     * Vector API's Java fallback, ~40× slower (measured: 50–70 vs 1–1.5 ms per pair of matrices).
     */
    @Override
    void group(int g, Act act, float[] out, int outOff) {
        FloatVector acc = act.expand ? expanded(g, act) : permuted(g, act);
        storeRows(acc, g, out, outOff);
    }

    private FloatVector expanded(int g, Act act) {
        short[] xs = act.xs;
        float[] dx = act.a.d;
        int nb = cols / 32;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < nb; b++) {
            ShortVector sum = ShortVector.zero(S);
            long wo = (long) V * LS * 2 * ((long) g * nb + b);
            for (int v = 0; v < V; v++) {
                ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * v * LS, ByteOrder.LITTLE_ENDIAN);
                int xo = b * 256 + 3 * v * LS;
                sum = sum.add(q.lanewise(VectorOperators.LSHL, 11).lanewise(VectorOperators.ASHR, 11).mul(ShortVector.fromArray(S, xs, xo)));
                if (3 * v + 1 < T) {
                    sum = sum.add(q.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 11).mul(ShortVector.fromArray(S, xs, xo + LS)));
                }
                if (3 * v + 2 < T) {
                    sum = sum.add(q.lanewise(VectorOperators.LSHL, 1).lanewise(VectorOperators.ASHR, 11).mul(ShortVector.fromArray(S, xs, xo + 2 * LS)));
                }
            }
            acc = scaled(widenPairs(sum), g * nb + b, dx[b], acc);
        }
        return acc;
    }

    private FloatVector permuted(int g, Act act) {
        short[] xs = act.xs;
        float[] dx = act.a.d;
        int nb = cols / 32;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < nb; b++) {
            ShortVector sum = ShortVector.zero(S);
            long wo = (long) V * LS * 2 * ((long) g * nb + b);
            ShortVector x0 = ShortVector.fromArray(S, xs, b * 32);
            ShortVector x1 = LS == 32 ? x0 : ShortVector.fromArray(S, xs, b * 32 + 16);
            for (int v = 0; v < V; v++) {
                ShortVector q = ShortVector.fromMemorySegment(S, packed, wo + 2L * v * LS, ByteOrder.LITTLE_ENDIAN);
                int t = 3 * v;
                sum = sum.add(q.lanewise(VectorOperators.LSHL, 11).lanewise(VectorOperators.ASHR, 11).mul(step(xs, b, t, false, x0, x1)));
                if (t + 1 < T) {
                    sum = sum.add(q.lanewise(VectorOperators.LSHL, 6).lanewise(VectorOperators.ASHR, 11).mul(step(xs, b, t + 1, false, x0, x1)));
                }
                if (t + 2 < T) {
                    sum = sum.add(q.lanewise(VectorOperators.LSHL, 1).lanewise(VectorOperators.ASHR, 11).mul(step(xs, b, t + 2, false, x0, x1)));
                }
            }
            acc = scaled(widenPairs(sum), g * nb + b, dx[b], acc);
        }
        return acc;
    }

    /** acc + isum · d_w[row of the lane] · d_x for block {@code gb} (= g·nb + b). */
    private FloatVector scaled(IntVector isum, int gb, float dx, FloatVector acc) {
        FloatVector scale = FloatVector.fromArray(FS, scales, gb * ROWS).rearrange(SCALE).mul(dx);
        return ((FloatVector) isum.convertShape(VectorOperators.I2F, FS, 0)).fma(scale, acc);
    }

    /** Scalar oracle on the original Q5_0 layout: Σ_b d_w·d_x·Σ_i (q_i − 16)·a_i for one row at byte {@code offset}. */
    static float dotReference(MemorySegment w, long offset, Q8Activations a) {
        float s = 0;
        for (int b = 0; b < a.n / 32; b++) {
            long off = offset + 22L * b;
            int isum = 0;
            for (int e = 0; e < 32; e++) {
                isum += value(w, off, e) * a.q[b * 32 + e];
            }
            s += isum * (Float.float16ToFloat(w.get(LE_SHORT, off)) * a.d[b]);
        }
        return s;
    }
}
