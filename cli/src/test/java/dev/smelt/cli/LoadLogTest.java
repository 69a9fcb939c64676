package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadLogTest {
    final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    final PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);

    @Test
    void namesTheModelItsSizeAndTheTimeTaken(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.gguf");
        Files.write(f, new byte[3 * 1024 / 2]);
        assertThat(LoadLog.timed(err, f, () -> "model")).isEqualTo("model");
        assertThat(buf.toString(StandardCharsets.UTF_8)).matches("loading m\\.gguf \\(1\\.5 KiB\\)… done in \\d+\\.\\d s\\R");
    }

    @Test
    void aFailedLoadSaysSoAndRethrows() {
        assertThatThrownBy(() -> LoadLog.timed(err, "x", -1, () -> {
            throw new java.io.IOException("x: bad magic");
        })).hasMessage("x: bad magic");
        assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("loading x… failed" + System.lineSeparator());
    }

    @Test
    void directoriesCountTheirFilesAndBuiltinsTheirWeights(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("a"), new byte[10]);
        Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("sub/b"), new byte[5]);
        assertThat(LoadLog.bytes(dir)).isEqualTo(15);
        assertThat(LoadLog.bytes(dir.resolve("missing"))).isEqualTo(-1);
        LoadLog.timedEmbedder(err, "all-minilm-l6-v2", () -> null);
        assertThat(buf.toString(StandardCharsets.UTF_8)).startsWith("loading all-minilm-l6-v2 (87 MiB)… done in");
    }

    @Test
    void sizesReadLikeLsH() {
        assertThat(LoadLog.size(512)).isEqualTo("512 B");
        assertThat(LoadLog.size(5_767_168)).isEqualTo("5.5 MiB");
        assertThat(LoadLog.size(3L << 30)).isEqualTo("3.0 GiB");
        assertThat(LoadLog.size(700L << 20)).isEqualTo("700 MiB");
    }
}
