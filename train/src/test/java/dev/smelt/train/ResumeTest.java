package dev.smelt.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.optim.LrSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Stopping, saving and resuming in a new trainer (and a new model) reproduces the straight run bit for bit. */
class ResumeTest {
    static final int STEPS = 6;

    static List<TokenizedExample> examples(int count, long seed) {
        Random r = new Random(seed);
        List<TokenizedExample> l = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = 6 + r.nextInt(12);
            int[] t = new int[n];
            boolean[] m = new boolean[n];
            t[0] = 1;
            for (int j = 1; j < n; j++) {
                t[j] = 3 + r.nextInt(200);
                m[j] = j >= n / 2;
            }
            l.add(new TokenizedExample(t, m, "synthetic:" + i));
        }
        return l;
    }

    static TrainConfig config() {
        return new TrainConfig(4, 8f, false, 0.1f, LoraModel.ALL_MODULES, 5e-3f, 0.01f, 2, LrSchedule.Kind.COSINE, 1f,
                STEPS, 48, 2, true, 1234);
    }

    /** llama; phi3 (LoRA with dropout on row slices of fused projections); gemma3 (sliding window, sandwich norms). */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "phi3", "gemma3"})
    void resumedRunMatchesStraightRun(String arch, @TempDir Path dir) throws Exception {
        Path modelPath = SharedData.model(arch + ".gguf");
        List<TokenizedExample> data = examples(20, 5);
        double[] straight = new double[STEPS];
        float[] finalB;
        try (LoraModel m = LoraModel.open(modelPath); ThreadPool pool = new ThreadPool(2)) {
            Trainer t = Trainer.start(m, data, config(), pool, System::nanoTime);
            for (int i = 0; i < STEPS; i++) {
                straight[i] = t.trainStep().loss();
            }
            finalB = m.adapter().pairs().values().iterator().next().b().clone();
        }
        double[] resumed = new double[STEPS];
        Path ckpt = dir.resolve("checkpoint.safetensors");
        try (LoraModel m = LoraModel.open(modelPath); ThreadPool pool = new ThreadPool(2)) {
            Trainer t = Trainer.start(m, data, config(), pool, System::nanoTime);
            for (int i = 0; i < STEPS / 2; i++) {
                resumed[i] = t.trainStep().loss();
            }
            t.saveCheckpoint(ckpt);
        }
        assertThat(Files.list(dir)).as("no temp file left behind").containsExactly(ckpt);
        try (LoraModel m = LoraModel.open(modelPath); ThreadPool pool = new ThreadPool(1)) { // another thread count on purpose
            Trainer t = Trainer.resume(m, data, config(), pool, System::nanoTime, ckpt);
            assertThat(t.step()).isEqualTo(STEPS / 2);
            for (int i = STEPS / 2; i < STEPS; i++) {
                resumed[i] = t.trainStep().loss();
            }
            assertThat(t.done()).isTrue();
            assertThat(m.adapter().pairs().values().iterator().next().b()).as("B after the last step").containsExactly(finalB);
        }
        assertThat(resumed).as("loss curve, resumed at step %d", STEPS / 2).containsExactly(straight);
        assertThat(straight[STEPS - 1]).as("the run trains at all").isNotEqualTo(straight[0]);
    }

    @Test
    void resumeRejectsDifferentSettings(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("c.safetensors");
        List<TokenizedExample> data = examples(10, 6);
        try (LoraModel m = LoraModel.open(SharedData.model("llama.gguf")); ThreadPool pool = new ThreadPool(1)) {
            Trainer.start(m, data, config(), pool, System::nanoTime).saveCheckpoint(ckpt);
            TrainConfig c = config();
            TrainConfig other = new TrainConfig(8, c.alpha(), false, 0, c.modules(), c.lr(), c.weightDecay(), 0, c.schedule(), 1, 6, 48, 1, true, c.seed());
            assertThatThrownBy(() -> Trainer.resume(m, data, other, pool, System::nanoTime, ckpt)).hasMessageContaining("rank 4").hasMessageContaining("rank 8");
            assertThatThrownBy(() -> Trainer.resume(m, examples(11, 6), c, pool, System::nanoTime, ckpt)).hasMessageContaining("10 examples");
            Files.writeString(dir.resolve("bad.safetensors"), "garbage");
            assertThatThrownBy(() -> Trainer.resume(m, data, c, pool, System::nanoTime, dir.resolve("bad.safetensors"))).isInstanceOf(java.io.IOException.class);
        }
    }
}
