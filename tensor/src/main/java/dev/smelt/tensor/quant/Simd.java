package dev.smelt.tensor.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    /** True when the kernels' lane assumptions hold (8 or 16 float lanes: AVX2 or AVX-512). */
    static boolean supported() {
        return (L == 8 || L == 16) && I.length() == L;
    }
}
