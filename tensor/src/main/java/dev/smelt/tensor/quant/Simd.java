package dev.smelt.tensor.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** Vector species shared by the kernels: F holds L floats, B the L bytes that widen into them. */
final class Simd {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Bytes per block chunk loaded at once: 16 (one Q4 block's nibbles), as a B128 vector. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    private Simd() {
    }

    /**
     * q &gt;&gt;&gt; 4 per byte, computed on the 32-bit view (x86 has no byte shifts; the JIT's byte-shift
     * emulation is slow): shift the ints, then mask off the bits that crossed a byte boundary.
     */
    static ByteVector highNibbles(ByteVector q) {
        return q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).reinterpretAsBytes();
    }

    /** (q &gt;&gt;&gt; shift) &amp; mask per byte on the 32-bit view; mask must clear the bits shifted in from the next byte. */
    static ByteVector shiftRightMasked(ByteVector q, int shift, int byteMask) {
        int m = byteMask * 0x01010101;
        return q.reinterpretAsInts().lanewise(VectorOperators.LSHR, shift).and(m).reinterpretAsBytes();
    }

    /** (q &amp; byteMask) &lt;&lt; shift per byte on the 32-bit view; byteMask must keep the result inside each byte. */
    static ByteVector maskShiftLeft(ByteVector q, int byteMask, int shift) {
        int m = byteMask * 0x01010101;
        return q.reinterpretAsInts().and(m).lanewise(VectorOperators.LSHL, shift).reinterpretAsBytes();
    }

    /** True when the kernels' lane assumptions hold (8 or 16 float lanes: AVX2 or AVX-512). */
    static boolean supported() {
        return (L == 8 || L == 16) && I.length() == L;
    }
}
