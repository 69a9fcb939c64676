package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** The odd-shape check shared by the 32-block integer kernels (Q4_0x8, Q5_0x8): random blocks with small fp16 scales. */
final class LegacyX8Check {
    /**
     * Kernel vs scalar oracle: both sum exact integers per block and differ only in the order of the
     * float additions across blocks (and lanes), bounded by ~nb·ε·Σ|terms|; 1e-5 covers rows of thousands.
     */
    static final double ORDER_REL = 1e-5;

    interface Repack {
        Interleaved8 of(MemorySegment w, long offset, int rows, int cols);
    }

    interface Oracle {
        float dot(MemorySegment w, long offset, Q8Activations a);
    }

    private LegacyX8Check() {
    }

    /** Kernel vs scalar oracle and vs the F32 path for every shape in {@code rowsList} × {@code colsList}. */
    static void check(GgmlType type, long seed, int[] rowsList, int[] colsList, Repack repack, Oracle reference) {
        SplittableRandom r = new SplittableRandom(seed);
        WeightFormat f32Path = Formats.reference(type);
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int rows : rowsList) {
                for (int cols : colsList) {
                    int lead = 5; // unaligned start inside the segment
                    long rowBytes = type.bytesFor(cols);
                    MemorySegment w = MemorySegment.ofArray(randomBytes(rows * rowBytes + lead, r));
                    for (long o = lead; o < lead + rows * rowBytes; o += type.bytesFor(32)) {
                        w.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), o,
                                Float.floatToFloat16((float) (r.nextDouble() * 0.02 - 0.01)));
                    }
                    float[] x = new float[cols];
                    for (int i = 0; i < cols; i++) {
                        x[i] = (float) r.nextGaussian();
                    }
                    Interleaved8 p = repack.of(w, lead, rows, cols);
                    float[] out = new float[rows + 1];
                    out[rows] = 42f; // must stay untouched
                    p.matmul(pool, x, out);
                    assertThat(out[rows]).as("write past the last row").isEqualTo(42f);
                    Q8Activations a = new Q8Activations();
                    a.quantize(x, 0, cols);
                    float[] wf = new float[cols];
                    for (int row = 0; row < rows; row++) {
                        long off = lead + row * rowBytes;
                        f32Path.dequantize(w, off, wf, 0, cols);
                        double terms = 0;
                        double quantBound = 0;
                        for (int c = 0; c < cols; c++) {
                            terms += Math.abs(wf[c] * x[c]);
                            quantBound += Math.abs(wf[c]) * a.d[c / 32] * 0.5;
                        }
                        float oracle = reference.dot(w, off, a);
                        assertThat((double) Math.abs(out[row] - oracle))
                                .as("[%d x %d] row %d: kernel %s oracle %s", rows, cols, row, out[row], oracle)
                                .isLessThanOrEqualTo(ORDER_REL * (terms + quantBound) + 1e-30);
                        // vs F32 activations: the only extra error is the activation rounding, ≤ Σ|w|·d_x/2.
                        float f32 = f32Path.dot(w, off, x, 0, cols);
                        assertThat((double) Math.abs(out[row] - f32))
                                .as("[%d x %d] row %d: integer %s F32 %s", rows, cols, row, out[row], f32)
                                .isLessThanOrEqualTo(quantBound * 1.0001 + ORDER_REL * terms + 1e-30);
                    }
                }
            }
        }
    }

    static byte[] randomBytes(long n, SplittableRandom r) {
        byte[] b = new byte[(int) n];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

}
