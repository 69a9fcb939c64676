package dev.smelt.train.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.WeightMatrix;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.tensor.quant.Q4_0x8;
import dev.smelt.testkit.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A training load ({@link LoraModel#open}) holds no repacked copy for the integer decode kernels, which its
 * batched frozen products never use, even with every format's kernel switched on; an inference load of the
 * same file still repacks.
 */
class TrainingLoadTest {

    @Test
    void trainingLoadSkipsTheRepackThatAnInferenceLoadDoes() throws Exception {
        Assumptions.assumeTrue(Q4_0x8.supported(), "no 16/32-lane short vectors: nothing is repacked anywhere");
        Path q = SharedData.model("llama-Q4_K_M.gguf"); // Q4_K, Q5_0 and Q6_K matrices
        String old = System.getProperty("smelt.repack");
        System.setProperty("smelt.repack", "true");
        try (LoraModel training = LoraModel.open(q); DecoderModel inference = Models.load(q)) {
            assertThat(repacked(training.base())).as("repacked projections of the training load").isZero();
            assertThat(training.base().output().packed()).as("training load's output projection").isNull();
            assertThat(repacked(inference)).as("repacked projections of the inference load")
                    .isEqualTo(inference.projections().size());
        } finally {
            if (old == null) {
                System.clearProperty("smelt.repack");
            } else {
                System.setProperty("smelt.repack", old);
            }
        }
    }

    private static long repacked(DecoderModel m) {
        return m.projections().stream().filter(p -> p.weight() instanceof WeightMatrix w && w.packed() != null).count();
    }
}
