package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.B;
import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Q8_0 dot with the Vector API: widen L int8 at a time to floats, FMA, scale per block. Thread-safe. */
final class Q8_0Vector extends ScalarFormats.Q8_0 {
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long off = offset + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, w, off + 2 + j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0);
                s = q.fma(FloatVector.fromArray(F, x, xo + j), s);
            }
            acc = s.fma(FloatVector.broadcast(F, f16(w, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
