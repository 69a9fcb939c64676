package dev.smelt.compress.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.testkit.SharedData;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Acceptance: with llama.cpp's importance matrix, quantizing the trained shakespeare model reproduces
 * {@code llama-quantize --imatrix} byte for byte.
 */
class ImatrixQuantTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q4_0"})
    void shakespeareWithImatrixMatchesLlamaQuantize(String ftype) throws Exception {
        Path f32 = SharedData.model("shakespeare.gguf");
        Path ref = SharedData.model("shakespeare-" + ftype + "-imatrix.gguf");
        ImportanceMatrix im = ImportanceMatrix.load(SharedData.golden("shakespeare.imatrix.gguf"));
        assertThat(im.entries()).isNotEmpty();
        try (ThreadPool pool = new ThreadPool(2)) {
            ReferenceComparison rc = ReferenceComparison.run(f32, ref, im.entries(), pool);
            String report = rc.report("shakespeare-" + ftype + "-imatrix");
            System.out.println(report);
            assertThat(rc.allIdentical()).as(report).isTrue();
            // The comparison means something only if the importance really changed the output.
            assertThat(rc.withImportance).as("tensors quantized with importance").isGreaterThan(10);
            assertThat(rc.changedByImportance).as("tensors whose bytes the importance changed").isEqualTo(rc.withImportance);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q4_0", "Q6_K", "Q8_0"})
    void shakespeareWithoutImatrixMatchesLlamaQuantize(String ftype) throws Exception {
        Path f32 = SharedData.model("shakespeare.gguf");
        Path ref = SharedData.model("shakespeare-" + ftype + ".gguf");
        try (ThreadPool pool = new ThreadPool(2)) {
            ReferenceComparison rc = ReferenceComparison.run(f32, ref, null, pool);
            String report = rc.report("shakespeare-" + ftype);
            System.out.println(report);
            assertThat(rc.allIdentical()).as(report).isTrue();
        }
    }
}
