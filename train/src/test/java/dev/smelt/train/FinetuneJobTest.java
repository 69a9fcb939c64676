package dev.smelt.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import dev.smelt.train.model.LoraModel;
import dev.smelt.train.optim.LrSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stop request (what the CLI's Ctrl-C hook sends) leaves a checkpoint and adapter that a resumed run continues exactly. */
class FinetuneJobTest {

    static TrainConfig cfg(int steps) {
        return new TrainConfig(4, 8f, false, 0f, LoraModel.ALL_MODULES, 1e-3f, 0.01f, 1, LrSchedule.Kind.LINEAR, 1f, steps, 128, 1, true, 9);
    }

    @Test
    void stopMidRunLeavesAResumableCheckpoint(@TempDir Path dir) throws Exception {
        Path model = SharedData.model("llama.gguf");
        Path data = dir.resolve("d.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            lines.add("{\"prompt\": \"question " + i + "?\", \"completion\": \" answer " + (i % 3) + "\"}");
        }
        Files.write(data, lines);
        List<Double> straight = new ArrayList<>();
        FinetuneJob.run(new FinetuneJob.Options(model, data, null, dir.resolve("a"), cfg(4), 2, 0, 0, false), listener(straight, null), new AtomicBoolean(), System::nanoTime);

        List<Double> interrupted = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        FinetuneJob.Outcome o = FinetuneJob.run(new FinetuneJob.Options(model, data, null, dir.resolve("b"), cfg(4), 2, 0, 0, false),
                listener(interrupted, stop), stop, System::nanoTime);
        assertThat(o.stopped()).isTrue();
        assertThat(o.steps()).isEqualTo(2);
        assertThat(dir.resolve("b/checkpoint.safetensors")).exists();
        assertThat(dir.resolve("b/adapter_model.safetensors")).exists();
        FinetuneJob.run(new FinetuneJob.Options(model, data, null, dir.resolve("b"), cfg(4), 1, 0, 0, true), listener(interrupted, null), new AtomicBoolean(), System::nanoTime);
        assertThat(interrupted).containsExactlyElementsOf(straight);
        assertThat(Files.readAllLines(dir.resolve("b/metrics.csv"))).hasSize(5);
        assertThat(Files.readAllBytes(dir.resolve("b/adapter_model.safetensors"))).isEqualTo(Files.readAllBytes(dir.resolve("a/adapter_model.safetensors")));
    }

    /** Records losses; requests a stop after step 2 when {@code stop} is given (as Ctrl-C during step 3 would). */
    private static FinetuneJob.Listener listener(List<Double> losses, AtomicBoolean stop) {
        return new FinetuneJob.Listener() {
            @Override
            public void onStart(long firstStep, long totalSteps, int trainExamples, int valExamples) {
            }

            @Override
            public void onStep(Trainer.StepResult r, double evalLoss) {
                losses.add(r.loss());
                if (stop != null && r.step() == 2) {
                    stop.set(true);
                }
            }
        };
    }
}
