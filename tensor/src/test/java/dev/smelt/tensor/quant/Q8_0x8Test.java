package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The integer Q8_0 × Q8 decode path against its scalar oracle and the F32 path, at odd sizes and at the int8 extremes. */
class Q8_0x8Test {
    /** Rows not a multiple of 8, columns odd multiples of 32 (1, 3, 5, 11 blocks, Qwen2.5-0.5B's 896, and 34 blocks). */
    private static final int[] ROWS = {1, 7, 8, 9, 13, 17, 40};
    private static final int[] COLS = {32, 96, 160, 352, 896, 1088}; // 1088: past EXPAND_MAX_COLS (permuted activations)

    @Test
    void packedKernelMatchesScalarOracleAndF32PathAtOddShapes() {
        // Random bytes: weights cover all of int8, −128 included.
        X8Check.check(GgmlType.Q8_0, 17, ROWS, COLS, Q8_0x8::repack, Q8_0x8::dotReference);
    }

    /**
     * Every product at its largest magnitude: weights −128 (not written by llama.cpp's quantizer, legal in
     * the format) or 127 against activations that quantize to ∓127, so each 16-bit lane holds a pair sum of
     * 32512 or 32258 — one more product would wrap. The result is an integer below 2²⁴, so the float
     * path is exact and the kernel must return it exactly.
     */
    @Test
    void pairSumsAtTheInt8ExtremesStayExact() {
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int cols : new int[] {32, 896, 1088}) {
                for (int wq : new int[] {-128, 127, -127}) {
                    int rows = 11;
                    long rowBytes = GgmlType.Q8_0.bytesFor(cols);
                    MemorySegment w = MemorySegment.ofArray(new byte[(int) (rows * rowBytes)]);
                    for (long o = 0; o < rows * rowBytes; o += 34) {
                        w.set(BlockFormat.LE_SHORT, o, Float.floatToFloat16(1f));
                        for (int i = 0; i < 32; i++) {
                            w.set(ValueLayout.JAVA_BYTE, o + 2 + i, (byte) wq);
                        }
                    }
                    float[] x = new float[cols];
                    Arrays.fill(x, wq < 0 ? -127f : 127f); // d_x = 1, every a = ∓127 with the weight's sign: products positive
                    float[] out = new float[rows];
                    Q8_0x8.repack(w, 0, rows, cols).matmul(pool, x, out);
                    float expected = (float) ((long) cols * Math.abs(wq) * 127);
                    for (int row = 0; row < rows; row++) {
                        assertThat(out[row]).as("[%d x %d] weight %d row %d", rows, cols, wq, row).isEqualTo(expected);
                    }
                }
            }
        }
    }
}
