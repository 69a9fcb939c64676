package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.B16;
import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K dot with the Vector API: for each half and 16-value column chunk, rebuild the four 6-bit
 * quarters from ql/qh with byte shifts and masks, subtract 32, widen, FMA, scale by d·scale[i/16].
 * Thread-safe.
 */
final class Q6_KVector extends ScalarFormats.Q6_K {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorOperators.Conversion<Byte, Integer> B2I = VectorOperators.B2I;
    private static final VectorOperators.Conversion<Integer, Float> I2F = VectorOperators.I2F;
    private static final jdk.incubator.vector.VectorSpecies<Integer> I = Simd.I;

    /**
     * Fused dot in the 32-bit domain: widen 16 bytes of ql and qh to ints, rebuild the four 6-bit
     * quarters with int shifts and masks, convert, multiply by x, and fold each 16-value group in
     * with its scale d·scale[i/16].
     *
     * <p>Why the work is split into {@link #half} calls: C2 inlines at most ~8,000 bytecodes into one
     * compilation, and every Vector API operation inlines hundreds. A whole block in one method
     * overflows that budget, the remaining vector operations stay calls and box their vectors
     * (measured 0.47 GB/s). One half per call keeps each compilation under budget (4.1 GB/s); the
     * accumulator crosses the call boundary through a small array. The operations are written out
     * in the method rather than in small helpers: a helper that C2 compiled on its own is not
     * inlined later (its code is already big), and then its vectors are boxed.
     */
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        if (L != 16 || Simd.I.length() != 16) {
            return super.dot(w, offset, x, xOff, n);
        }
        float[] acc = new float[16];
        float[] sc = new float[16];
        for (int b = 0; b < n / 256; b++) {
            long off = offset + 210L * b;
            float d = f16(w, off + 208);
            for (int i = 0; i < 16; i++) {
                sc[i] = d * w.get(ValueLayout.JAVA_BYTE, off + 192 + i);
            }
            half(w, off, x, xOff + 256 * b, sc, 0, acc);
            half(w, off, x, xOff + 256 * b, sc, 1, acc);
        }
        return FloatVector.fromArray(F, acc, 0).reduceLanes(VectorOperators.ADD);
    }

    /** acc[0..16) += Σ over one 128-value half of a block of w·x, per 16-value group scaled by sc[group]. */
    private static void half(MemorySegment w, long off, float[] x, int xo, float[] sc, int half, float[] accArr) {
        FloatVector acc = FloatVector.fromArray(F, accArr, 0);
        for (int l = 0; l < 32; l += 16) {
            IntVector ql0 = ((IntVector) ByteVector.fromMemorySegment(B16, w, off + 64 * half + l, LE).convertShape(B2I, I, 0)).and(0xFF);
            IntVector ql1 = ((IntVector) ByteVector.fromMemorySegment(B16, w, off + 64 * half + 32 + l, LE).convertShape(B2I, I, 0)).and(0xFF);
            IntVector qh = ((IntVector) ByteVector.fromMemorySegment(B16, w, off + 128 + 32 * half + l, LE).convertShape(B2I, I, 0)).and(0xFF);
            IntVector q0 = ql0.and(0x0F).or(qh.and(0x03).lanewise(VectorOperators.LSHL, 4));
            IntVector q1 = ql1.and(0x0F).or(qh.and(0x0C).lanewise(VectorOperators.LSHL, 2));
            IntVector q2 = ql0.lanewise(VectorOperators.LSHR, 4).or(qh.and(0x30));
            IntVector q3 = ql1.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2).and(0x30));
            int base = 128 * half + l;
            int g = base / 16;
            acc = ((FloatVector) q0.sub(32).convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + base)).fma(FloatVector.broadcast(F, sc[g]), acc);
            acc = ((FloatVector) q1.sub(32).convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + base + 32)).fma(FloatVector.broadcast(F, sc[g + 2]), acc);
            acc = ((FloatVector) q2.sub(32).convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + base + 64)).fma(FloatVector.broadcast(F, sc[g + 4]), acc);
            acc = ((FloatVector) q3.sub(32).convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + base + 96)).fma(FloatVector.broadcast(F, sc[g + 6]), acc);
        }
        acc.intoArray(accArr, 0);
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        if (L != 16 || Simd.I.length() != 16) {
            super.dequantize(w, offset, dst, dstOff, n);
            return;
        }
        float[] sc = new float[16];
        for (int b = 0; b < n / 256; b++) {
            long off = offset + 210L * b;
            float d = f16(w, off + 208);
            for (int i = 0; i < 16; i++) {
                sc[i] = d * w.get(ValueLayout.JAVA_BYTE, off + 192 + i);
            }
            dequantizeHalf(w, off, sc, 0, dst, dstOff + 256 * b);
            dequantizeHalf(w, off, sc, 1, dst, dstOff + 256 * b);
        }
    }

    /** Decodes one 128-value half of a block as {@link #half} reads it: dst[128·half + i] = sc[group] · (q − 32). */
    private static void dequantizeHalf(MemorySegment w, long off, float[] sc, int half, float[] dst, int o) {
        for (int l = 0; l < 32; l += 16) {
            IntVector ql0 = ((IntVector) ByteVector.fromMemorySegment(B16, w, off + 64 * half + l, LE).convertShape(B2I, I, 0)).and(0xFF);
            IntVector ql1 = ((IntVector) ByteVector.fromMemorySegment(B16, w, off + 64 * half + 32 + l, LE).convertShape(B2I, I, 0)).and(0xFF);
            IntVector qh = ((IntVector) ByteVector.fromMemorySegment(B16, w, off + 128 + 32 * half + l, LE).convertShape(B2I, I, 0)).and(0xFF);
            IntVector q0 = ql0.and(0x0F).or(qh.and(0x03).lanewise(VectorOperators.LSHL, 4));
            IntVector q1 = ql1.and(0x0F).or(qh.and(0x0C).lanewise(VectorOperators.LSHL, 2));
            IntVector q2 = ql0.lanewise(VectorOperators.LSHR, 4).or(qh.and(0x30));
            IntVector q3 = ql1.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2).and(0x30));
            int base = 128 * half + l;
            int g = base / 16;
            // as the scalar reference: (d·scale) · (q − 32), one rounding per product
            ((FloatVector) q0.sub(32).convertShape(I2F, F, 0)).mul(sc[g]).intoArray(dst, o + base);
            ((FloatVector) q1.sub(32).convertShape(I2F, F, 0)).mul(sc[g + 2]).intoArray(dst, o + base + 32);
            ((FloatVector) q2.sub(32).convertShape(I2F, F, 0)).mul(sc[g + 4]).intoArray(dst, o + base + 64);
            ((FloatVector) q3.sub(32).convertShape(I2F, F, 0)).mul(sc[g + 6]).intoArray(dst, o + base + 96);
        }
    }

}
