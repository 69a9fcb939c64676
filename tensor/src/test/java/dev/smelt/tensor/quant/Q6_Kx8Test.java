package dev.smelt.tensor.quant;


import dev.smelt.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The integer Q6_K × Q8_K decode path against its scalar oracle and the F32 path, at odd sizes. */
class Q6_Kx8Test {
    /** Rows not a multiple of 8; 1, 3 and 5 blocks (5: past EXPAND_MAX_COLS, the permuted-activation path). */
    private static final int[] ROWS = {1, 7, 9, 17, 40};
    private static final int[] COLS = {256, 768, 1280};

    @Test
    void packedKernelMatchesScalarOracleAndF32PathAtOddShapes() {
        X8Check.check(new X8Check.Spec(GgmlType.Q6_K, Q8Activations.BLOCK_K, 7, Q6_Kx8Test::randomQ6_K, Q6_Kx8::repack,
                Q6_Kx8::dotReference, null), 23, ROWS, COLS);
    }

    /** Random Q6_K rows from {@code lead}: random 6-bit values and int8 scales, small positive d. */
    static MemorySegment randomQ6_K(long n, int lead, SplittableRandom r) {
        byte[] b = new byte[(int) n];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        MemorySegment w = MemorySegment.ofArray(b);
        ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long o = lead; o + 210 <= n; o += 210) {
            w.set(le, o + 208, Float.floatToFloat16((float) (r.nextDouble() * 0.001)));
        }
        return w;
    }
}
