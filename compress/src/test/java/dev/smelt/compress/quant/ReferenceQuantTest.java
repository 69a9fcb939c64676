package dev.smelt.compress.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Acceptance: quantizing {@code llama.gguf} (F32) reproduces llama.cpp's llama-quantize output byte for
 * byte, for each tensor of each reference file, at the type that file used for the tensor.
 */
class ReferenceQuantTest {
    private static ThreadPool pool;

    @BeforeAll
    static void start() {
        pool = new ThreadPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q6_K", "IQ4_NL",
        "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "IQ4_XS"})
    void llamaMatchesLlamaQuantize(String ftype) throws Exception {
        Path f32 = SharedData.model("llama.gguf");
        Path ref = SharedData.model("llama-" + ftype + ".gguf");
        ReferenceComparison rc = ReferenceComparison.run(f32, ref, null, pool);
        String report = rc.report("llama-" + ftype);
        System.out.println(report);
        assertThat(rc.byType).as("quantized tensors in llama-%s", ftype).isNotEmpty();
        assertThat(rc.allIdentical()).as(report).isTrue();
    }
}
