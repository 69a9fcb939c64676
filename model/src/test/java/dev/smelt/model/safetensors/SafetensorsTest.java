package dev.smelt.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.testkit.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @Test
    void readsTheLogitsGolden() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(SharedData.golden("llama.golden.safetensors"))) {
            assertThat(f.ints("tokens")).hasSize(40);
            assertThat(f.entry("logits_float_ref").shape()).containsExactly(40, 512);
            assertThat(f.floats("logits_llamacpp")).hasSize(40 * 512);
        }
    }

    @Test
    void roundTripsTensorsAndMetadata(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("a.safetensors");
        new SafetensorsWriter().metadata("format", "pt").f32("x", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6.5f})
                .i32("ids", new long[] {2}, new int[] {7, -1}).f16("h", new long[] {2}, new float[] {0.5f, -2f}).write(p);
        assertThat(ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() % 8).as("header padded to 8").isZero();
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.floats("x")).containsExactly(1, 2, 3, 4, 5, 6.5f);
            assertThat(f.ints("ids")).containsExactly(7, -1);
            assertThat(f.floats("h")).containsExactly(0.5f, -2f);
            assertThat(f.metadata()).containsEntry("format", "pt");
        }
        assertThat(Files.exists(dir.resolve("a.safetensors.tmp"))).isFalse();
    }

    @Test
    void corruptFilesGiveClearErrors(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> SafetensorsFile.open(write(dir, "short", new byte[3]))).hasMessageContaining("need an 8-byte header length");
        assertThatThrownBy(() -> SafetensorsFile.open(write(dir, "len", header(1000, "{}")))).hasMessageContaining("header length 1000 exceeds");
        assertThatThrownBy(() -> SafetensorsFile.open(write(dir, "json", header(-1, "{\"a\":")))).hasMessageContaining("malformed JSON");
        assertThatThrownBy(() -> SafetensorsFile.open(write(dir, "range", header(-1,
                "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}")))).hasMessageContaining("lie outside the data");
        assertThatThrownBy(() -> SafetensorsFile.open(write(dir, "dtype", header(-1,
                "{\"t\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,0]}}")))).hasMessageContaining("unsupported dtype Q9");
        assertThatThrownBy(() -> SafetensorsFile.open(write(dir, "size", withData(header(-1,
                "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}"), 8)))).hasMessageContaining("needs 12");
    }

    private static byte[] header(long declared, String json) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared < 0 ? h.length : declared).put(h);
        return b.array();
    }

    private static byte[] withData(byte[] head, int n) {
        byte[] out = new byte[head.length + n];
        System.arraycopy(head, 0, out, 0, head.length);
        return out;
    }

    private static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name + ".safetensors");
        Files.write(p, bytes);
        return p;
    }
}
