package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FinetuneCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path jsonl(Path dir, String name, int from, int count) throws Exception {
        List<String> lines = Files.readAllLines(SharedData.require("data/banking77/train.csv"));
        List<String> out = new ArrayList<>();
        for (String line : lines.subList(1 + from, 1 + from + count)) {
            int comma = line.lastIndexOf(',');
            String text = line.substring(0, comma).replace("\"", "");
            out.add(JSON.writeValueAsString(java.util.Map.of("prompt", "Query: " + text + "\nIntent:", "completion", " " + line.substring(comma + 1))));
        }
        Path p = dir.resolve(name);
        Files.write(p, out);
        return p;
    }

    @Test
    void trainsWritesPeftAdapterMetricsAndResumes(@TempDir Path dir) throws Exception {
        String model = SharedData.model("shakespeare.gguf").toString();
        Path data = jsonl(dir, "train.jsonl", 0, 40);
        Path val = jsonl(dir, "val.jsonl", 5000, 8);
        Path out = dir.resolve("run");
        String[] r = CliRun.run("finetune", "--model", model, "--data", data.toString(), "--val", val.toString(), "--out", out.toString(),
                "--steps", "4", "--lora-rank", "4", "--batch-tokens", "256", "--threads", "2", "--save-every", "2", "--lr", "1e-3");
        assertThat(r[0]).as("exit code; stderr: %s", r[2]).isEqualTo("0");
        assertThat(r[1]).contains("done after 4 steps");
        assertThat(r[2]).contains("finetune").contains("tok/s").contains("ETA");
        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        assertThat(metrics.get(0)).startsWith("step,loss,lr,").contains("tokens_per_s").contains("eval_loss");
        assertThat(metrics).hasSize(5);
        assertThat(metrics.get(4).split(",", -1)[5]).as("eval loss at the end").isNotEmpty();

        JsonNode cfg = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(cfg.get("r").asInt()).isEqualTo(4);
        assertThat(cfg.get("lora_alpha").asDouble()).isEqualTo(8.0);
        assertThat(cfg.get("target_modules")).hasSize(7);
        assertThat(Files.size(out.resolve("adapter.gguf"))).as("llama.cpp adapter").isGreaterThan(0);
        assertThat(out.resolve("mlruns/0/meta.yaml")).as("MLflow file store").exists();
        Path withLora = dir.resolve("lora-logits.safetensors");
        Path without = dir.resolve("base-logits.safetensors");
        String[] gen = CliRun.run("run", model, "--lora", out.toString(), "-p", "Query: my card has not arrived\nIntent:", "-n", "2", "--temperature", "0",
                "--dump-logits", withLora.toString());
        assertThat(gen[0]).as("smelt run --lora with the trained adapter; stderr %s", gen[2]).isEqualTo("0");
        CliRun.run("run", model, "-p", "Query: my card has not arrived\nIntent:", "-n", "2", "--temperature", "0", "--dump-logits", without.toString());
        try (SafetensorsFile a = SafetensorsFile.open(withLora); SafetensorsFile b = SafetensorsFile.open(without)) {
            assertThat(a.floats("logits")).as("the trained adapter changes the logits").isNotEqualTo(b.floats("logits"));
        }
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            SafetensorsFile.Entry a = st.entry("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
            SafetensorsFile.Entry b = st.entry("base_model.model.model.layers.3.mlp.down_proj.lora_B.weight");
            assertThat(a.shape()).containsExactly(4, 256);
            assertThat(b.shape()).containsExactly(256, 4);
            assertThat(st.entries()).hasSize(4 * 7 * 2);
            float[] bv = st.floats(b.name());
            assertThat(bv).as("B has moved away from its zero init").isNotEqualTo(new float[bv.length]);
        }

        String[] again = CliRun.run("finetune", "--model", model, "--data", data.toString(), "--out", out.toString(), "--steps", "6");
        assertThat(again[0]).isEqualTo("1");
        assertThat(again[2]).contains("already holds a checkpoint").contains("--resume").doesNotContain("Exception");

        String[] resumed = CliRun.run("finetune", "--model", model, "--data", data.toString(), "--val", val.toString(), "--out", out.toString(),
                "--steps", "6", "--lora-rank", "4", "--batch-tokens", "256", "--threads", "2", "--resume", "--lr", "1e-3");
        assertThat(resumed[0]).as("stderr: %s", resumed[2]).isEqualTo("0");
        List<String> m2 = Files.readAllLines(out.resolve("metrics.csv"));
        assertThat(m2).hasSize(7);
        assertThat(m2.subList(0, 5)).isEqualTo(metrics);
        assertThat(m2.get(5)).startsWith("5,");
    }

    @Test
    void badInputGivesClearErrors(@TempDir Path dir) throws Exception {
        String model = SharedData.model("shakespeare.gguf").toString();
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\", \"completion\": \n");
        String[] r = CliRun.run("finetune", "--model", model, "--data", bad.toString(), "--out", dir.resolve("o").toString(), "--steps", "1");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("bad.jsonl:2").contains("invalid JSON").doesNotContain("at dev.smelt");

        Files.writeString(bad, "{\"prompt\": \"a\"}\n");
        r = CliRun.run("finetune", "--model", model, "--data", bad.toString(), "--out", dir.resolve("o2").toString(), "--steps", "1");
        assertThat(r[2]).contains("bad.jsonl:1").contains("missing 'completion'");

        Files.writeString(bad, "{\"prompt\": \"a\", \"completion\": 3}\n");
        r = CliRun.run("finetune", "--model", model, "--data", bad.toString(), "--out", dir.resolve("o3").toString(), "--steps", "1");
        assertThat(r[2]).contains("bad.jsonl:1").contains("must both be strings");

        r = CliRun.run("finetune", "--model", model, "--data", bad.toString(), "--out", dir.resolve("o4").toString(), "--lora-rank", "0");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--lora-rank must be ≥ 1, got 0");

        r = CliRun.run("finetune", "--model", model, "--data", bad.toString(), "--out", dir.resolve("o5").toString(), "--schedule", "step");
        assertThat(r[2]).contains("unknown learning-rate schedule 'step'");

        Path vocabOnly = SharedData.require("reference/tokenizers/gguf/ggml-vocab-llama-spm.gguf");
        r = CliRun.run("finetune", "--model", vocabOnly.toString(), "--data", bad.toString(), "--out", dir.resolve("o6").toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains(vocabOnly.toString()).contains("token_embd.weight");
    }
}
