package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The integer Q6_K × Q8_K decode path against its scalar oracle and the F32 path, at odd sizes. */
class Q6_Kx8Test {
    /** Kernel vs oracle: exact integer sums per block, float additions in another order (see Q4_0x8Test). */
    static final double ORDER_REL = 1e-5;
    /** Rows not a multiple of 8; 1, 3 and 5 blocks (5: past EXPAND_MAX_COLS, the permuted-activation path). */
    private static final int[] ROWS = {1, 7, 9, 17, 40};
    private static final int[] COLS = {256, 768, 1280};

    @Test
    void packedKernelMatchesScalarOracleAndF32PathAtOddShapes() {
        SplittableRandom r = new SplittableRandom(23);
        WeightFormat f32Path = Formats.reference(GgmlType.Q6_K);
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int rows : ROWS) {
                for (int cols : COLS) {
                    int lead = 7; // unaligned start inside the segment
                    long rowBytes = GgmlType.Q6_K.bytesFor(cols);
                    MemorySegment w = randomQ6_K(rows * rowBytes + lead, lead, r);
                    float[] x = new float[cols];
                    for (int i = 0; i < cols; i++) {
                        x[i] = (float) r.nextGaussian();
                    }
                    Q6_Kx8 p = Q6_Kx8.repack(w, lead, rows, cols);
                    float[] out = new float[rows + 1];
                    out[rows] = 42f; // must stay untouched
                    p.matmul(pool, x, out);
                    assertThat(out[rows]).as("write past the last row").isEqualTo(42f);
                    Q8Activations a = new Q8Activations(Q8Activations.BLOCK_K);
                    a.quantize(x, 0, cols);
                    float[] wf = new float[cols];
                    for (int row = 0; row < rows; row++) {
                        long off = lead + row * rowBytes;
                        f32Path.dequantize(w, off, wf, 0, cols);
                        double terms = 0;
                        double quantBound = 0;
                        for (int c = 0; c < cols; c++) {
                            terms += Math.abs(wf[c] * x[c]);
                            quantBound += Math.abs(wf[c]) * a.d[c / 256] * 0.5;
                        }
                        float oracle = Q6_Kx8.dotReference(w, off, a);
                        assertThat((double) Math.abs(out[row] - oracle))
                                .as("[%d x %d] row %d: kernel %s oracle %s", rows, cols, row, out[row], oracle)
                                .isLessThanOrEqualTo(ORDER_REL * (terms + quantBound) + 1e-30);
                        float f32 = f32Path.dot(w, off, x, 0, cols);
                        assertThat((double) Math.abs(out[row] - f32))
                                .as("[%d x %d] row %d: integer %s F32 %s", rows, cols, row, out[row], f32)
                                .isLessThanOrEqualTo(quantBound * 1.0001 + ORDER_REL * terms + 1e-30);
                    }
                }
            }
        }
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
