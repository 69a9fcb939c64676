package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** F32 dot with the Vector API (two accumulators), reading little-endian floats from the mapping. Thread-safe. */
final class F32Vector extends F32Format {
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = FloatVector.fromMemorySegment(F, w, offset + 4L * i, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, offset + 4L * (i + L), ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += w.get(LE_FLOAT, offset + 4L * i) * x[xOff + i];
        }
        return s;
    }
}
