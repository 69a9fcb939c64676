package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** smelt quantize --method gptq/awq-gptq on the trained shakespeare model, and the new options' bad inputs. */
class QuantizeMethodCommandTest {
    @Test
    @org.junit.jupiter.api.Tag("slow") // two quantizations and two KLD runs: minutes on a loaded 2-core machine
    void gptqWithCalibrationTextBeatsRoundingWithTheSameText(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        Path calib = CompressCommandsTest.text(dir, "calib.txt", 0, 6_000);
        Path val = CompressCommandsTest.text(dir, "val.txt", CompressCommandsTest.VALIDATION_START, 3_000);
        Path gptq = dir.resolve("gptq.gguf");
        Path rtn = dir.resolve("rtn.gguf");
        CompressCommandsTest.Run r = CompressCommandsTest.run("quantize", base.toString(), gptq.toString(), "--type", "Q4_0",
                "--method", "gptq", "--calibration", calib.toString(), "--ctx", "128", "-t", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("matrices kept gptq").contains("XᵀX");
        r = CompressCommandsTest.run("quantize", base.toString(), rtn.toString(), "--type", "Q4_0",
                "--calibration", calib.toString(), "--ctx", "128", "-t", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.size(gptq)).isEqualTo(Files.size(rtn));
        try (GgufFile f = GgufFile.open(gptq)) {
            assertThat(f.getString("quantize.method", "")).isEqualTo("gptq");
        }
        JsonNode kg = CompressCommandsTest.kld(base, gptq, val);
        JsonNode kr = CompressCommandsTest.kld(base, rtn, val);
        assertThat(kg.get("mean_kld").asDouble()).as("gptq %s vs rtn %s", kg, kr).isLessThan(kr.get("mean_kld").asDouble());
    }

    @Test
    void badMethodOptionsExitNonZeroWithOneLine(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        String out = dir.resolve("o.gguf").toString();
        CompressCommandsTest.Run r = CompressCommandsTest.run("quantize", base.toString(), out, "--type", "Q4_0", "--method", "spqr");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("unknown --method 'spqr'").doesNotContain("Exception");
        r = CompressCommandsTest.run("quantize", base.toString(), out, "--type", "Q4_0", "--method", "gptq");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("needs --calibration");
        Path tiny = dir.resolve("tiny.txt");
        Files.writeString(tiny, "To be");
        r = CompressCommandsTest.run("quantize", base.toString(), out, "--type", "Q4_0", "--method", "gptq", "--calibration", tiny.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("tiny.txt").contains("fewer than one chunk");
        assertThat(Files.exists(dir.resolve("o.gguf"))).isFalse();
        r = CompressCommandsTest.run("quantize", "--help");
        assertThat(r.out() + r.err()).contains("--method").contains("--calibration").contains("--act-order");
    }
}
