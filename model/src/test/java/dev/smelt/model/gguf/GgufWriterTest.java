package dev.smelt.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Rewriting every reference model (written by llama.cpp) yields the identical bytes: our layout is llama.cpp's. */
class GgufWriterTest {
    static Stream<String> models() throws Exception {
        Path dir = SharedData.require("reference/models");
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void roundTripIsByteIdentical(String name, @TempDir Path tmp) throws Exception {
        Path src = SharedData.model(name);
        Path out = tmp.resolve(name);
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            for (GgufTensorInfo t : f.tensors()) {
                w.tensor(t.name(), t.dims(), t.type(), f.tensorData(t));
            }
            w.write(out);
        }
        assertThat(Files.mismatch(src, out)).as("first differing byte of %s", name).isEqualTo(-1L);
        assertThat(Files.exists(tmp.resolve(name + ".tmp"))).isFalse();
    }
}
