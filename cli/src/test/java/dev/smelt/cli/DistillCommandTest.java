package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillCommandTest {
    @TempDir
    Path dir;

    @Test
    void distillsThroughTheReplayTeacherAndResumesFromTheCache() throws Exception {
        Path task = dir.resolve("task.yaml");
        Files.writeString(task, "name: t\ninstructions: Classify.\nlabels: [a, b]\n");
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, "{\"text\":\"first thing\",\"label\":\"a\"}\n{\"text\":\"second one\",\"label\":\"b\"}\n");
        String[] r = CliRun.run("distill", "--task", task.toString(), "--inputs", data.toString(), "--replay-teacher", data.toString(),
                "--out", dir.resolve("out").toString(), "--price-in", "1", "--price-out", "1");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("\"kept\":2").contains("\"calls_paid\":2");
        assertThat(Files.readAllLines(dir.resolve("out/classify.jsonl"))).containsExactly("{\"text\":\"first thing\",\"label\":\"a\"}",
                "{\"text\":\"second one\",\"label\":\"b\"}");
        String[] again = CliRun.run("distill", "--task", task.toString(), "--inputs", data.toString(), "--replay-teacher", data.toString(),
                "--out", dir.resolve("out").toString());
        assertThat(again[1]).contains("\"calls_paid\":0").contains("\"calls_cached\":2");
    }

    @Test
    void badInputsExitNonZeroWithOneClearLine() throws Exception {
        Path task = dir.resolve("task.yaml");
        Files.writeString(task, "name: t\ninstructions: Classify.\nlabels: a\n");
        Path data = dir.resolve("d.csv");
        Files.writeString(data, "text\nhello\n");
        String[] r = CliRun.run("distill", "--task", task.toString(), "--inputs", data.toString(), "--teacher", "http://127.0.0.1:1/v1",
                "--model", "m", "--out", dir.resolve("o").toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2].strip()).isEqualTo("smelt: error: " + task + ": field 'labels' must be a non-empty list of strings");
        String[] both = CliRun.run("distill", "--task", task.toString(), "--inputs", data.toString(), "--out", "o");
        assertThat(both[2]).contains("give exactly one of --teacher URL or --replay-teacher FILE");
    }
}
