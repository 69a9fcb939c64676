package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Batched integer matmul: each activation row quantized once and run through the same kernel, so a
 * batch's rows are bit-identical to batch-1 calls (the per-row kernels are tested against their
 * oracles in Q4_0x8Test, Q5_0x8Test, Q4_Kx8Test, Q6_Kx8Test, Q8_0x8Test).
 */
class RepackedBatchTest {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q5_0", "Q4_K", "Q6_K", "Q8_0"})
    void batchRowsEqualSingleRowCalls(GgmlType type) {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 19;
        int batch = 3;
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int cols : new int[] {256, 1280}) {
                long rowBytes = type.bytesFor(cols);
                MemorySegment w = switch (type) {
                    case Q4_K -> Q4_Kx8Test.randomQ4_K(rows * rowBytes, 0, r);
                    case Q6_K -> Q6_Kx8Test.randomQ6_K(rows * rowBytes, 0, r);
                    default -> randomBlocks(type, rows * rowBytes, r);
                };
                Repacked p = Repacked.repack(type, w, 0, rows, cols);
                float[] x = new float[batch * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                float[] out = new float[batch * rows + 1];
                out[batch * rows] = 42f;
                p.matmul(pool, x, batch, out);
                assertThat(out[batch * rows]).as("write past the batch").isEqualTo(42f);
                for (int b = 0; b < batch; b++) {
                    float[] one = new float[rows];
                    p.matmul(pool, java.util.Arrays.copyOfRange(x, b * cols, (b + 1) * cols), one);
                    for (int row = 0; row < rows; row++) {
                        assertThat(out[b * rows + row]).as("%s [%d x %d] batch row %d, row %d", type, rows, cols, b, row)
                                .isEqualTo(one[row]);
                    }
                }
            }
        }
    }

    /** Random bytes with each block's fp16 scale (its first 2 bytes) set to a small positive value. */
    private static MemorySegment randomBlocks(GgmlType type, long n, SplittableRandom r) {
        byte[] b = new byte[(int) n];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        MemorySegment w = MemorySegment.ofArray(b);
        for (long o = 0; o < n; o += type.typeSize()) {
            w.set(BlockFormat.LE_SHORT, o, Float.floatToFloat16((float) (r.nextDouble() * 0.01)));
        }
        return w;
    }
}
