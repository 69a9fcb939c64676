package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.B16;
import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 dot with the Vector API: 16 bytes → low nibbles (elements 0..15) and high nibbles (16..31),
 * minus 8, widened to floats, FMA with x, one multiply by d per block. Thread-safe.
 */
final class Q4_0Vector extends ScalarFormats.Q4_0 {
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 18L * b;
            int xo = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(B16, w, off + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            FloatVector s = FloatVector.zero(F);
            for (int p = 0; p < 16 / L; p++) {
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xo + p * L), s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).fma(FloatVector.fromArray(F, x, xo + 16 + p * L), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(w, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
