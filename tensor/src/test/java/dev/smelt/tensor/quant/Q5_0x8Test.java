package dev.smelt.tensor.quant;

import dev.smelt.tensor.GgmlType;
import org.junit.jupiter.api.Test;

/** The integer Q5_0 × Q8 decode path against its scalar oracles and the F32 path, at odd sizes. */
class Q5_0x8Test {
    /** Rows not a multiple of 8, columns odd multiples of 32 (1, 3, 11 blocks, Qwen2.5-0.5B's 896, and 34 blocks). */
    private static final int[] ROWS = {1, 7, 8, 9, 13, 17, 40};
    private static final int[] COLS = {32, 96, 352, 896, 1088}; // 1088: past EXPAND_MAX_COLS (permuted activations)

    @Test
    void packedKernelMatchesScalarOracleAndF32PathAtOddShapes() {
        X8Check.check(GgmlType.Q5_0, 13, ROWS, COLS, Q5_0x8::repack, Q5_0x8::dotReference);
    }
}
