package dev.smelt.tensor.quant;

import static dev.smelt.tensor.quant.Simd.F;
import static dev.smelt.tensor.quant.Simd.I;
import static dev.smelt.tensor.quant.Simd.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 dot with the Vector API. Half → float lane-wise: shift exponent and mantissa up 13 bits and
 * multiply by 2^112 (re-biases 15 → 127 and normalizes subnormals exactly), patch Inf/NaN, restore
 * the sign. Thread-safe.
 */
final class F16Vector extends ScalarFormats.F16 {
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final float REBIAS = 0x1p112f;

    static FloatVector halves(MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, off, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
        IntVector em = h.and(0x7FFF);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        IntVector bits = shifted.reinterpretAsFloats().mul(REBIAS).reinterpretAsInts();
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7C00);
        if (special.anyTrue()) {
            bits = bits.blend(shifted.or(0x7F800000), special);
        }
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = halves(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = halves(w, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (; i + L <= n; i += L) {
            a0 = halves(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += f16(w, offset + 2L * i) * x[xOff + i];
        }
        return s;
    }
}
