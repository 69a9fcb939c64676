package dev.smelt.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12: --resume never starts fresh silently, and never continues on another model or data set. */
class ResumeGuardTest {
    @TempDir
    Path dir;

    private static final FinetuneJob.Listener QUIET = new FinetuneJob.Listener() {
        @Override
        public void onStart(long firstStep, long totalSteps, int trainExamples, int valExamples) {
        }

        @Override
        public void onStep(Trainer.StepResult r, double evalLoss) {
        }
    };

    private Path data(String name, String answerPrefix) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            lines.add("{\"prompt\": \"question " + i + "?\", \"completion\": \" " + answerPrefix + (i % 3) + "\"}");
        }
        return Files.write(dir.resolve(name), lines);
    }

    private FinetuneJob.Outcome run(Path model, Path data, Path out, boolean resume) throws Exception {
        return FinetuneJob.run(new FinetuneJob.Options(model, data, null, 0, out, FinetuneJobTest.cfg(2), 1, 0, 0, resume), QUIET,
                new AtomicBoolean(), System::nanoTime, java.time.Clock.systemUTC(), new java.util.Random(1));
    }

    @Test
    void resumeWithoutACheckpointIsAnError() throws Exception {
        Path model = SharedData.model("llama.gguf");
        Path d = data("d.jsonl", "answer ");
        assertThatThrownBy(() -> run(model, d, dir.resolve("fresh"), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--resume: no checkpoint to continue");
        assertThat(dir.resolve("fresh/checkpoint.safetensors")).doesNotExist();
    }

    @Test
    void resumeAgainstOtherDataOrAnotherBaseIsRefused() throws Exception {
        Path model = SharedData.model("llama.gguf");
        Path d = data("d.jsonl", "answer ");
        Path out = dir.resolve("run");
        run(model, d, out, false);
        // same line count, other content
        Path other = data("d2.jsonl", "reply ");
        Files.copy(other, d, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> run(model, d, out, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different training data (--data)");
        // same shapes, other weights: a copy of the base with its last weight byte changed
        Files.copy(other, d, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path original = data("d3.jsonl", "answer ");
        Files.copy(original, d, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path base2 = dir.resolve("base2.gguf");
        Files.copy(model, base2);
        byte[] b = Files.readAllBytes(base2);
        b[b.length - 1] ^= 0x01;
        Files.write(base2, b, StandardOpenOption.TRUNCATE_EXISTING);
        assertThatThrownBy(() -> run(base2, d, out, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different base model (--model)");
        // the same inputs resume
        assertThat(run(model, d, out, true).steps()).isEqualTo(2);
    }
}
