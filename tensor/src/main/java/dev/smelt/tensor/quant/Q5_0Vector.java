package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.B16;
import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.I;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0 dot with the Vector API: low nibbles as Q4_0, the 5th bit of element j taken from qh by a
 * per-lane variable shift, minus 16, widened to floats. Thread-safe.
 */
final class Q5_0Vector extends ScalarFormats.Q5_0 {
    private static final IntVector[] SHIFTS = new IntVector[32 / L]; // lane i of part p: shift 16·half + p·L + i

    static {
        for (int p = 0; p < 32 / L; p++) {
            int[] s = new int[L];
            for (int i = 0; i < L; i++) {
                s[i] = p * L + i;
            }
            SHIFTS[p] = IntVector.fromArray(I, s, 0);
        }
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        int parts = 16 / L;
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 22L * b;
            FloatVector d = FloatVector.broadcast(F, f16(w, off));
            IntVector qh = IntVector.broadcast(I, w.get(LE_INT, off + 2));
            ByteVector q = ByteVector.fromMemorySegment(B16, w, off + 6, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0x0F);
            ByteVector hi = Simd.highNibbles(q);
            for (int p = 0; p < parts; p++) {
                IntVector l = (IntVector) lo.convertShape(VectorOperators.B2I, I, p);
                IntVector h = (IntVector) hi.convertShape(VectorOperators.B2I, I, p);
                IntVector lb = qh.lanewise(VectorOperators.LSHR, SHIFTS[p]).and(1).lanewise(VectorOperators.LSHL, 4);
                IntVector hb = qh.lanewise(VectorOperators.LSHR, SHIFTS[p + parts]).and(1).lanewise(VectorOperators.LSHL, 4);
                ((FloatVector) l.or(lb).sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, dstOff + 32 * b + p * L);
                ((FloatVector) h.or(hb).sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, dstOff + 32 * b + 16 + p * L);
            }
        }
    }

    /**
     * With 16 lanes: the 16 quant bytes widen to ints once and split into nibbles there (x86 has no
     * byte shifts); the 5th bits come from qh pre-shifted per block so one variable shift and one
     * mask put bit j at value 16. Operations are written inline (see {@link Q6_KVector#dot}).
     */
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        if (L != 16) {
            return dotAnyWidth(w, offset, x, xOff, n);
        }
        FloatVector acc = FloatVector.zero(F);
        IntVector shifts = SHIFTS[0]; // lane i: i
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 22L * b;
            int xo = xOff + 32 * b;
            int qh = w.get(LE_INT, off + 2);
            IntVector q = ((IntVector) ByteVector.fromMemorySegment(B16, w, off + 6, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
            IntVector lb = IntVector.broadcast(I, qh << 4).lanewise(VectorOperators.LSHR, shifts).and(16);     // bit j → 16
            IntVector hb = IntVector.broadcast(I, qh >>> 12).lanewise(VectorOperators.LSHR, shifts).and(16);   // bit 16 + j → 16
            FloatVector fl = (FloatVector) q.and(0x0F).or(lb).sub(16).convertShape(VectorOperators.I2F, F, 0);
            FloatVector fh = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).or(hb).sub(16).convertShape(VectorOperators.I2F, F, 0);
            FloatVector s = fl.mul(FloatVector.fromArray(F, x, xo));
            s = fh.fma(FloatVector.fromArray(F, x, xo + 16), s);
            acc = s.fma(FloatVector.broadcast(F, f16(w, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private float dotAnyWidth(MemorySegment w, long offset, float[] x, int xOff, int n) {

        FloatVector acc = FloatVector.zero(F);
        int parts = 16 / L;
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 22L * b;
            int xo = xOff + 32 * b;
            IntVector qh = IntVector.broadcast(I, w.get(LE_INT, off + 2));
            ByteVector q = ByteVector.fromMemorySegment(B16, w, off + 6, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0x0F);
            ByteVector hi = Simd.highNibbles(q);
            FloatVector s = FloatVector.zero(F);
            for (int p = 0; p < parts; p++) {
                IntVector l = (IntVector) lo.convertShape(VectorOperators.B2I, I, p);
                IntVector h = (IntVector) hi.convertShape(VectorOperators.B2I, I, p);
                IntVector lb = qh.lanewise(VectorOperators.LSHR, SHIFTS[p]).and(1).lanewise(VectorOperators.LSHL, 4);
                IntVector hb = qh.lanewise(VectorOperators.LSHR, SHIFTS[p + parts]).and(1).lanewise(VectorOperators.LSHL, 4);
                FloatVector fl = (FloatVector) l.or(lb).sub(16).convert(VectorOperators.I2F, 0);
                FloatVector fh = (FloatVector) h.or(hb).sub(16).convert(VectorOperators.I2F, 0);
                s = fl.fma(FloatVector.fromArray(F, x, xo + p * L), s);
                s = fh.fma(FloatVector.fromArray(F, x, xo + 16 + p * L), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(w, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
