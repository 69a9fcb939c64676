package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.testkit.SharedData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 from the command line: `smelt info` lists non-finite tensors; bad metadata names the key, not a flag. */
class HostileModelFilesTest {
    @TempDir
    Path dir;

    /** A copy of llama.gguf with {@code overrides} and one NaN in the first F32 tensor when {@code poison}. */
    private Path variant(Map<String, GgufValue> overrides, boolean poison) throws Exception {
        Path out = dir.resolve("variant.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("llama.gguf"))) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            overrides.forEach(w::put);
            boolean done = !poison;
            for (GgufTensorInfo t : f.tensors()) {
                byte[] data = f.tensorData(t).toArray(ValueLayout.JAVA_BYTE);
                if (!done && t.type() == GgmlType.F32) {
                    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.POSITIVE_INFINITY);
                    done = true;
                }
                w.tensor(t.name(), t.dims(), t.type(), MemorySegment.ofArray(data));
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void infoListsNonFiniteTensors() throws Exception {
        String[] clean = CliRun.run("info", SharedData.model("llama.gguf").toString());
        assertThat(clean[0]).isEqualTo("0");
        assertThat(clean[1]).contains("non-finite:    none");
        String[] r = CliRun.run("info", variant(Map.of(), true).toString());
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("non-finite:    1 tensor(s) hold NaN or Inf").contains("(1 non-finite, first at element 0)");
    }

    @Test
    void zeroContextLengthNamesTheKey() throws Exception {
        String[] r = CliRun.run("run", variant(Map.of("llama.context_length", GgufValue.uint32(0)), false).toString(), "-p", "hi", "-n", "2");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("smelt: error:").contains("llama.context_length").doesNotContain("--ctx").doesNotContain("\tat ");
    }
}
