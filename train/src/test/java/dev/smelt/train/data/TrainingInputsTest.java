package dev.smelt.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, "Training inputs": nothing is dropped, trained on emptiness or misread silently. */
class TrainingInputsTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path p = dir.resolve("train.jsonl");
        Files.write(p, List.of(lines));
        return p;
    }

    private TrainingData.Loaded load(Path p, int maxSeq, List<String> warnings) throws IOException {
        return TrainingData.load(p, TemplatesFixture.format("qwen3"),
                new TrainingData.Options(maxSeq, TrainingData.Overflow.TRUNCATE), warnings::add);
    }

    @Test
    void emptyExamplesAreSkippedAndNamed() throws IOException {
        Path p = file("{\"prompt\": \"Q?\", \"completion\": \"\"}",
                "{\"prompt\": \"\", \"completion\": \"\"}",
                "{\"text\": \"\"}",
                "{\"prompt\": \"Q?\", \"completion\": \" yes\"}");
        List<String> warnings = new ArrayList<>();
        TrainingData.Loaded l = load(p, 0, warnings);
        assertThat(l.examples()).hasSize(1);
        assertThat(l.examples().getFirst().source()).isEqualTo("train.jsonl:4");
        assertThat(warnings).singleElement().asString()
                .contains("skipped 3 of 4 examples")
                .contains("train.jsonl:1 (empty completion)")
                .contains("train.jsonl:2 (empty prompt and completion)")
                .contains("train.jsonl:3 (empty text)");
    }

    @Test
    void aFileOfEmptyExamplesIsAnError() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            lines.add("{\"text\": \"\"}");
        }
        Path p = file(lines.toArray(String[]::new));
        TemplatesFixture.format("qwen3"); // outside the lambda: without ../shared the test skips instead of failing
        assertThatThrownBy(() -> load(p, 0, new ArrayList<>()))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("nothing to train on: all 8 examples are empty")
                .hasMessageContaining("train.jsonl:1 (empty text)")
                .hasMessageContaining("and 3 more");
    }

    @Test
    void completionsCutByTheLengthLimitAreReported() throws IOException {
        Path p = file("{\"prompt\": \"Q?\", \"completion\": \"" + "a long answer ".repeat(20) + "\"}",
                "{\"prompt\": \"Q?\", \"completion\": \" short\"}");
        List<String> warnings = new ArrayList<>();
        TrainingData.Loaded l = load(p, 16, warnings);
        assertThat(l.examples()).hasSize(2);
        assertThat(warnings).singleElement().asString()
                .contains("1 examples were cut to 16 tokens").contains("train.jsonl:1").doesNotContain("train.jsonl:2");
    }

    @Test
    void nonUtf8LineNamesTheLineAndByte() throws IOException {
        Path p = dir.resolve("train.jsonl");
        byte[] good = "{\"text\": \"ok\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"text\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(p, concat(good, bad));
        assertThatThrownBy(() -> JsonlExamples.read(p))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("train.jsonl:2").hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("byte 0xE9 at byte 13 of the line");
    }

    @Test
    void deeplyNestedLineNamesTheLine() throws IOException {
        Path p = file("{\"text\": \"ok\"}", "{\"text\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        assertThatThrownBy(() -> JsonlExamples.read(p))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("train.jsonl:2").hasMessageContaining("nesting depth");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
