package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.I;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** BF16 dot with the Vector API: widen shorts to ints, shift into the float's high half, FMA. Thread-safe. */
final class BF16Vector extends ScalarFormats.BF16 {
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, w, offset + 2L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector bits = ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16);
            acc = bits.reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += Float.intBitsToFloat((w.get(LE_SHORT, offset + 2L * i) & 0xFFFF) << 16) * x[xOff + i];
        }
        return s;
    }
}
