package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code smelt finetune --kd-alpha}: runs on data with teacher logprobs; clear errors otherwise. */
class FinetuneDistillCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String line(String prompt, String completion, List<String> teacherTokens) throws Exception {
        List<Object> content = teacherTokens.stream().<Object>map(t -> Map.of("token", t, "logprob", -0.1,
                "top_logprobs", List.of(Map.of("token", t, "logprob", -0.1), Map.of("token", "!", "logprob", -2.4)))).toList();
        return JSON.writeValueAsString(Map.of("prompt", prompt, "completion", completion, "logprobs", Map.of("content", content)));
    }

    @Test
    void trainsWithDistillationAndRefusesBadInput(@TempDir Path dir) throws Exception {
        String model = SharedData.model("shakespeare.gguf").toString();
        // " yes" is '▁', '▁y', 'es' on this SentencePiece vocabulary (its dummy prefix adds the first space)
        Path data = dir.resolve("kd.jsonl");
        Files.write(data, List.of(line("Query: where is my card?\nAnswer:", " yes", List.of(" ", " y", "es")),
                line("Query: what is the rate?\nAnswer:", " yes", List.of(" ", " y"))));
        Path out = dir.resolve("run");
        String[] r = CliRun.run("finetune", "--model", model, "--data", data.toString(), "--out", out.toString(), "--steps", "2",
                "--lora-rank", "2", "--batch-tokens", "128", "--threads", "2", "--kd-alpha", "0.5", "--kd-temperature", "2");
        assertThat(r[0]).as("stderr %s", r[2]).isEqualTo("0");
        assertThat(Files.readAllLines(out.resolve("metrics.csv"))).hasSize(3);
        assertThat(Files.list(out.resolve("mlruns/0")).filter(Files::isDirectory).findFirst().orElseThrow().resolve("params/kd_alpha"))
                .hasContent("0.5");

        Path plain = dir.resolve("plain.jsonl");
        Files.writeString(plain, "{\"prompt\": \"q\", \"completion\": \" yes\"}\n");
        r = CliRun.run("finetune", "--model", model, "--data", plain.toString(), "--out", dir.resolve("o2").toString(), "--steps", "1",
                "--kd-alpha", "0.5");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--kd-alpha 0.5 needs teacher logprobs").doesNotContain("at dev.smelt");

        Path other = dir.resolve("other.jsonl");
        Files.writeString(other, line("q", " yes", List.of(" yes")) + "\n");
        r = CliRun.run("finetune", "--model", model, "--data", other.toString(), "--out", dir.resolve("o3").toString(), "--steps", "1",
                "--kd-alpha", "0.5");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("other.jsonl:1").contains("teacher token 0 ' yes'").contains("vocabulary").doesNotContain("at dev.smelt");

        r = CliRun.run("finetune", "--model", model, "--data", data.toString(), "--out", dir.resolve("o4").toString(), "--steps", "1",
                "--kd-alpha", "1.5");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--kd-alpha must be in [0, 1], got 1.5");
    }
}
