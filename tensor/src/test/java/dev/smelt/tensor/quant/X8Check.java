package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The odd-shape check shared by the 8-row integer kernels: the kernel against its scalar oracle and against the
 * F32 path for every shape, on random blocks with small fp16 scales (legacy 32-blocks) or a format's own generator.
 */
final class X8Check {
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

    /** Random rows of the format from {@code lead} in a segment of {@code n} bytes. */
    interface Weights {
        MemorySegment random(long n, int lead, SplittableRandom r);
    }

    /** Magnitude of the float partial sums an oracle rounds when they exceed Σ|w·x| (Q4_K: scales and mins). */
    interface Parts {
        double bound(MemorySegment w, long offset, int cols, float[] x);
    }

    /**
     * One format under test: its activation block (32 or 256), the segment offset of the first row (unaligned on
     * purpose), its weight generator, kernel, oracle, and {@code parts} (null: the oracle rounds only Σ|w·x|).
     */
    record Spec(GgmlType type, int block, int lead, Weights weights, Repack repack, Oracle reference, Parts parts) {}

    private X8Check() {
    }

    /** The 32-block legacy formats (Q4_0, Q5_0, Q8_0): random bytes with a small fp16 scale per block. */
    static void check(GgmlType type, long seed, int[] rowsList, int[] colsList, Repack repack, Oracle reference) {
        check(new Spec(type, 32, 5, (n, lead, r) -> legacyBlocks(type, n, lead, r), repack, reference, null), seed, rowsList, colsList);
    }

    /** Kernel vs scalar oracle and vs the F32 path for every shape in {@code rowsList} × {@code colsList}. */
    static void check(Spec spec, long seed, int[] rowsList, int[] colsList) {
        SplittableRandom r = new SplittableRandom(seed);
        GgmlType type = spec.type();
        WeightFormat f32Path = Formats.reference(type);
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int rows : rowsList) {
                for (int cols : colsList) {
                    int lead = spec.lead();
                    long rowBytes = type.bytesFor(cols);
                    MemorySegment w = spec.weights().random(rows * rowBytes + lead, lead, r);
                    float[] x = new float[cols];
                    for (int i = 0; i < cols; i++) {
                        x[i] = (float) r.nextGaussian();
                    }
                    Interleaved8 p = spec.repack().of(w, lead, rows, cols);
                    float[] out = new float[rows + 1];
                    out[rows] = 42f; // must stay untouched
                    p.matmul(pool, x, out);
                    assertThat(out[rows]).as("write past the last row").isEqualTo(42f);
                    Q8Activations a = new Q8Activations(spec.block());
                    a.quantize(x, 0, cols);
                    float[] wf = new float[cols];
                    for (int row = 0; row < rows; row++) {
                        long off = lead + row * rowBytes;
                        f32Path.dequantize(w, off, wf, 0, cols);
                        double terms = 0;
                        double quantBound = 0;
                        for (int c = 0; c < cols; c++) {
                            terms += Math.abs(wf[c] * x[c]);
                            quantBound += Math.abs(wf[c]) * a.d[c / spec.block()] * 0.5;
                        }
                        double parts = spec.parts() == null ? 0 : spec.parts().bound(w, off, cols, x);
                        float oracle = spec.reference().dot(w, off, a);
                        assertThat((double) Math.abs(out[row] - oracle))
                                .as("[%d x %d] row %d: kernel %s oracle %s", rows, cols, row, out[row], oracle)
                                .isLessThanOrEqualTo(ORDER_REL * ((spec.parts() == null ? terms : parts) + quantBound) + 1e-30);
                        // vs F32 activations: the only extra error is the activation rounding, ≤ Σ|w|·d_x/2.
                        float f32 = f32Path.dot(w, off, x, 0, cols);
                        assertThat((double) Math.abs(out[row] - f32))
                                .as("[%d x %d] row %d: integer %s F32 %s", rows, cols, row, out[row], f32)
                                .isLessThanOrEqualTo(quantBound * 1.0001 + ORDER_REL * (terms + parts) + 1e-30);
                    }
                }
            }
        }
    }

    /** Random 32-blocks from {@code lead}, each block's leading fp16 scale in [-0.01, 0.01). */
    private static MemorySegment legacyBlocks(GgmlType type, long n, int lead, SplittableRandom r) {
        MemorySegment w = MemorySegment.ofArray(randomBytes(n, r));
        for (long o = lead; o < n; o += type.bytesFor(32)) {
            w.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), o,
                    Float.floatToFloat16((float) (r.nextDouble() * 0.02 - 0.01)));
        }
        return w;
    }

    static byte[] randomBytes(long n, SplittableRandom r) {
        byte[] b = new byte[(int) n];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

}
