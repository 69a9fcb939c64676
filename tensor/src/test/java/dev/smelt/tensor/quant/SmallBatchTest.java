package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The batched-decode path ({@link WeightFormat#matmulRows}, reached through {@link MatMul} for
 * 2 .. {@link WeightFormat#fusedBatchLimit} activation rows) against the scalar reference dot of every
 * (row, activation row) pair, at odd row counts, odd block counts and every batch size 1..9 plus
 * sizes around the fused limit, for every supported format.
 */
class SmallBatchTest {
    private static final int[] ROWS = {1, 2, 7, 13};
    private static final int[] BLOCKS = {1, 3, 7};
    private static final int[] BATCHES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 15, 16, 17, 31, 32, 33};

    static Stream<GgmlType> types() {
        return Arrays.stream(GgmlType.values()).filter(Formats::supports);
    }

    @ParameterizedTest
    @MethodSource("types")
    void matmulRowsMatchesScalarReference(GgmlType type) {
        WeightFormat ref = Formats.reference(type);
        WeightFormat fast = Formats.of(type);
        SplittableRandom r = new SplittableRandom(31 + type.ordinal());
        for (int rows : ROWS) {
            for (int blocks : BLOCKS) {
                int n = type.blockSize() == 1 ? 37 * blocks : type.blockSize() * blocks;
                long rowBytes = type.bytesFor(n);
                int lead = 5; // unaligned first row
                MemorySegment w = MemorySegment.ofArray(matrix(type, rows, n, r, lead));
                for (int batch : BATCHES) {
                    float[] x = new float[batch * n];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) r.nextGaussian();
                    }
                    int stride = rows + 3; // out rows wider than W: only [0, rows) may be written
                    float[] out = new float[batch * stride];
                    Arrays.fill(out, Float.NaN);
                    fast.matmulRows(w, lead, rowBytes, 0, rows, n, x, batch, out, stride);
                    check(type, ref, w, lead, rowBytes, rows, n, x, batch, out, stride, "matmulRows");
                    assertUntouched(out, rows, stride, batch);
                    float[] viaMatMul = new float[batch * rows];
                    try (ThreadPool pool = new ThreadPool(2)) {
                        MatMul.matmul(pool, fast, w, lead, rows, n, x, batch, viaMatMul);
                    }
                    check(type, ref, w, lead, rowBytes, rows, n, x, batch, viaMatMul, rows, "MatMul");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void aRowsResultDoesNotDependOnBatchSizeOrPosition(GgmlType type) {
        // A sequence's logits must not change with who else shares its step (2 .. 11 rows, any slot).
        WeightFormat fast = Formats.of(type);
        SplittableRandom r = new SplittableRandom(77);
        int rows = 5;
        int n = 96;
        long rowBytes = type.bytesFor(n);
        MemorySegment w = MemorySegment.ofArray(matrix(type, rows, n, r, 0));
        int all = 11;
        float[] x = new float[all * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] full = new float[all * rows];
        fast.matmulRows(w, 0, rowBytes, 0, rows, n, x, all, full, rows);
        for (int first = 0; first < all - 1; first++) {
            for (int batch = 2; first + batch <= all; batch++) {
                float[] part = new float[batch * rows];
                fast.matmulRows(w, 0, rowBytes, 0, rows, n, Arrays.copyOfRange(x, first * n, (first + batch) * n), batch, part, rows);
                for (int b = 0; b < batch; b++) {
                    for (int i = 0; i < rows; i++) {
                        assertThat(part[b * rows + i]).as("%s activation row %d as row %d of a batch of %d, weight row %d",
                                type, first + b, b, batch, i).isEqualTo(full[(first + b) * rows + i]);
                    }
                }
            }
        }
    }

    private static void check(GgmlType type, WeightFormat ref, MemorySegment w, long lead, long rowBytes, int rows, int n,
                              float[] x, int batch, float[] out, int stride, String path) {
        float[] wr = new float[n];
        for (int i = 0; i < rows; i++) {
            ref.dequantize(w, lead + i * rowBytes, wr, 0, n);
            for (int b = 0; b < batch; b++) {
                double mag = 0;
                for (int c = 0; c < n; c++) {
                    mag += Math.abs(wr[c] * x[b * n + c]);
                }
                float expected = ref.dot(w, lead + i * rowBytes, x, b * n, n);
                float got = out[b * stride + i];
                assertThat((double) Math.abs(got - expected))
                        .as("%s %s rows=%d n=%d batch=%d: row %d activation row %d expected %s got %s, diff %s (allowed %s)",
                                path, type, rows, n, batch, i, b, expected, got, Math.abs(got - expected), FastFormatsTest.DOT_REL * mag)
                        .isLessThanOrEqualTo(FastFormatsTest.DOT_REL * mag + 1e-30);
            }
        }
    }

    private static void assertUntouched(float[] out, int rows, int stride, int batch) {
        for (int b = 0; b < batch; b++) {
            for (int i = rows; i < stride; i++) {
                assertThat(out[b * stride + i]).as("column %d of activation row %d is outside the range and must stay unwritten", i, b).isNaN();
            }
        }
    }

    private static byte[] matrix(GgmlType type, int rows, int n, SplittableRandom r, int lead) {
        int rowBytes = (int) type.bytesFor(n);
        byte[] all = new byte[lead + rows * rowBytes];
        for (int i = 0; i < rows; i++) {
            byte[] row = FastFormatsTest.randomRow(type, n, r, 0);
            System.arraycopy(row, 0, all, lead + i * rowBytes, rowBytes);
        }
        return all;
    }
}
