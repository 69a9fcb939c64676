package dev.smelt.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.tensor.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per kind of corruption: each is a GgufException naming the byte offset, never another failure. */
class GgufCorruptionTest {
    @TempDir
    Path dir;
    private byte[] valid;
    /** Offsets inside {@link #valid}: the header layout is fixed by the writer. */
    private int tensorInfoStart;

    @BeforeEach
    void makeValidFile() throws IOException {
        Path p = dir.resolve("ok.gguf");
        new GgufWriter().put("general.architecture", GgufValue.string("llama"))
                .put("a.b", GgufValue.uint32(7))
                .tensor("t", new long[] {4, 2}, GgmlType.F32, new byte[32]).write(p);
        valid = Files.readAllBytes(p);
        // header 24 + kv1 (8+20 key, 4 type, 8+5 value) + kv2 (8+3, 4, 4)
        tensorInfoStart = 24 + (8 + 20 + 4 + 8 + 5) + (8 + 3 + 4 + 4);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.tensor("t").dims()).containsExactly(4, 2);
        }
    }

    private GgufException open(byte[] bytes) throws IOException {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, bytes);
        try (GgufFile f = GgufFile.open(p)) {
            throw new AssertionError("expected a GgufException, file opened with " + f.tensors().size() + " tensors");
        } catch (GgufException e) {
            assertThat(e.getMessage()).contains("bad.gguf").contains("at byte offset");
            return e;
        }
    }

    private byte[] patch(int offset, byte[] with) {
        byte[] b = valid.clone();
        System.arraycopy(with, 0, b, offset, with.length);
        return b;
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    @Test
    void badMagic() throws IOException {
        assertThat(open(patch(0, "GGML".getBytes(StandardCharsets.US_ASCII))).getMessage()).contains("bad magic");
    }

    @Test
    void emptyAndTinyFiles() throws IOException {
        assertThat(open(new byte[0]).getMessage()).contains("not a GGUF file");
        assertThat(open(new byte[] {'G', 'G'}).getMessage()).contains("not a GGUF file");
    }

    @Test
    void unsupportedVersion() throws IOException {
        assertThat(open(patch(4, u32(1))).getMessage()).contains("unsupported GGUF version 1");
        assertThat(open(patch(4, u32(99))).getMessage()).contains("unsupported GGUF version 99");
    }

    @Test
    void truncatedAtEveryRegion() throws IOException {
        for (int cut : new int[] {10, 30, 60, tensorInfoStart + 5, valid.length - 10}) {
            GgufException e = open(java.util.Arrays.copyOf(valid, cut));
            assertThat(e.getMessage()).as("cut at %d", cut).containsAnyOf("truncated", "exceeds", "beyond the end", "impossible");
            assertThat(e.offset()).isLessThanOrEqualTo(cut);
        }
    }

    @Test
    void hugeCountsAndLengthsDoNotAllocate() throws IOException {
        assertThat(open(patch(8, u64(Long.MAX_VALUE))).getMessage()).contains("tensor count");
        assertThat(open(patch(16, u64(1L << 40))).getMessage()).contains("metadata count");
        assertThat(open(patch(24, u64(1L << 50))).getMessage()).contains("string length");
    }

    @Test
    void hugeArrayCount() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(java.util.Arrays.copyOf(valid, 8));
        b.writeBytes(u64(0));
        b.writeBytes(u64(1));
        b.writeBytes(u64(1));
        b.write('k');
        b.writeBytes(u32(9)); // ARRAY
        b.writeBytes(u32(4)); // of UINT32
        b.writeBytes(u64(1L << 40));
        assertThat(open(b.toByteArray()).getMessage()).contains("claims 1099511627776 elements");
    }

    @Test
    void unknownValueType() throws IOException {
        assertThat(open(patch(24 + 8 + 20, u32(77))).getMessage()).contains("unknown metadata value type 77");
    }

    @Test
    void unknownTensorType() throws IOException {
        int typeAt = tensorInfoStart + 8 + 1 + 4 + 16;
        assertThat(open(patch(typeAt, u32(250))).getMessage()).contains("unknown or unsupported ggml type id 250");
    }

    @Test
    void badDimensionCounts() throws IOException {
        int nDimsAt = tensorInfoStart + 8 + 1;
        assertThat(open(patch(nDimsAt, u32(0))).getMessage()).contains("0 dimensions");
        assertThat(open(patch(nDimsAt, u32(5))).getMessage()).contains("5 dimensions");
    }

    @Test
    void overflowingShape() throws IOException {
        int dimsAt = tensorInfoStart + 8 + 1 + 4;
        byte[] b = patch(dimsAt, u64(1L << 62));
        b = patchInto(b, dimsAt + 8, u64(1L << 62));
        assertThat(open(b).getMessage()).containsAnyOf("overflows", "beyond the end");
    }

    @Test
    void misalignedAndOutOfRangeOffsets() throws IOException {
        int offAt = tensorInfoStart + 8 + 1 + 4 + 16 + 4;
        assertThat(open(patch(offAt, u64(3))).getMessage()).contains("not a multiple of the alignment");
        assertThat(open(patch(offAt, u64(1L << 40))).getMessage()).contains("beyond the end of the file");
    }

    @Test
    void duplicateNames() throws IOException {
        Path p = dir.resolve("dup.gguf");
        new GgufWriter().tensor("t", new long[] {4}, GgmlType.F32, new byte[16]).tensor("u", new long[] {4}, GgmlType.F32, new byte[16]).write(p);
        byte[] b = Files.readAllBytes(p);
        int second = 24 + 8 + 1 + 4 + 8 + 4 + 8; // second tensor's name text
        b[second + 8] = 't';
        assertThat(open(b).getMessage()).contains("duplicate tensor name 't'");
        byte[] kv = valid.clone();
        int secondKey = 24 + (8 + 20 + 4 + 8 + 5) + 8;
        System.arraycopy("general.architecture".getBytes(StandardCharsets.US_ASCII), 0, kv, secondKey, 3);
        // key length 3 now reads "gen", not a duplicate: make the whole second key a duplicate instead
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        d.writeBytes(java.util.Arrays.copyOf(valid, 16));
        d.writeBytes(u64(2));
        for (int i = 0; i < 2; i++) {
            d.writeBytes(u64(1));
            d.write('k');
            d.writeBytes(u32(4));
            d.writeBytes(u32(1));
        }
        byte[] dupKeys = d.toByteArray();
        System.arraycopy(u64(0), 0, dupKeys, 8, 8);
        assertThat(open(dupKeys).getMessage()).contains("duplicate metadata key 'k'");
    }

    @Test
    void badAlignment() throws IOException {
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        d.writeBytes(java.util.Arrays.copyOf(valid, 8));
        d.writeBytes(u64(0));
        d.writeBytes(u64(1));
        byte[] key = "general.alignment".getBytes(StandardCharsets.US_ASCII);
        d.writeBytes(u64(key.length));
        d.writeBytes(key);
        d.writeBytes(u32(4));
        d.writeBytes(u32(24));
        assertThat(open(d.toByteArray()).getMessage()).contains("general.alignment must be a positive power of two");
    }

    private static byte[] patchInto(byte[] b, int offset, byte[] with) {
        System.arraycopy(with, 0, b, offset, with.length);
        return b;
    }
}
