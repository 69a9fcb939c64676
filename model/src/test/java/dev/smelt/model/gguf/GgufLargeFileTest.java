package dev.smelt.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.WeightMatrix;
import dev.smelt.tensor.GgmlType;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files over 2 GiB map and read correctly: a sparse file whose second tensor starts past 2^31 bytes
 * (the header is written by hand so the test needs no gigabytes of real writes).
 */
class GgufLargeFileTest {
    private static final long BIG_ROWS = 600_000;  // [600000, 1024] F32 = 2.29 GiB
    private static final long BIG_COLS = 1024;

    @Test
    void readsTensorsBeyondTwoGiB(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("large.gguf");
        long bigBytes = BIG_ROWS * BIG_COLS * 4;
        long dataStart = writeHeader(file, bigBytes);
        float[] tail = {1.5f, -2.25f, 3f, 4f, 5f, 6f, 7f, 8f};
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            // one value inside the big tensor, in its last row
            long lastRow = dataStart + (BIG_ROWS - 1) * BIG_COLS * 4;
            raf.seek(lastRow + 4 * 7);
            raf.writeInt(Integer.reverseBytes(Float.floatToIntBits(42f)));
            raf.seek(dataStart + bigBytes);
            for (float v : tail) {
                raf.writeInt(Integer.reverseBytes(Float.floatToIntBits(v)));
            }
        }
        assertThat(Files.size(file)).isGreaterThan(1L << 31);
        try (GgufFile g = GgufFile.open(file)) {
            GgufTensorInfo t = g.tensor("tail");
            assertThat(t.fileOffset()).isGreaterThan(Integer.MAX_VALUE);
            float[] got = new float[8];
            java.lang.foreign.MemorySegment.copy(g.tensorData(t), ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, got, 0, 8);
            assertThat(got).containsExactly(tail);
            WeightMatrix big = WeightMatrix.of(g, g.tensor("big"));
            float[] row = new float[(int) BIG_COLS];
            big.row((int) BIG_ROWS - 1, row, 0);
            assertThat(row[7]).isEqualTo(42f);
            assertThat(row[6]).isEqualTo(0f);
        }
    }

    /** GGUF v3 header with tensors "big" F32 [1024, 600000] at 0 and "tail" F32 [8] after it; returns the data offset. */
    private static long writeHeader(Path file, long bigBytes) throws IOException {
        try (DataOutputStream d = new DataOutputStream(Files.newOutputStream(file))) {
            d.writeInt(Integer.reverseBytes(GgufFile.MAGIC));
            d.writeInt(Integer.reverseBytes(3));
            d.writeLong(Long.reverseBytes(2)); // tensors
            d.writeLong(Long.reverseBytes(0)); // metadata
            tensorInfo(d, "big", new long[] {BIG_COLS, BIG_ROWS}, 0);
            tensorInfo(d, "tail", new long[] {8}, bigBytes);
            int pad = (int) ((GgufFile.DEFAULT_ALIGNMENT - d.size() % GgufFile.DEFAULT_ALIGNMENT) % GgufFile.DEFAULT_ALIGNMENT);
            d.write(new byte[pad]);
            return d.size();
        }
    }

    private static void tensorInfo(DataOutputStream d, String name, long[] dims, long offset) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        d.writeLong(Long.reverseBytes(n.length));
        d.write(n);
        d.writeInt(Integer.reverseBytes(dims.length));
        for (long x : dims) {
            d.writeLong(Long.reverseBytes(x));
        }
        d.writeInt(Integer.reverseBytes(GgmlType.F32.id()));
        d.writeLong(Long.reverseBytes(offset));
    }
}
