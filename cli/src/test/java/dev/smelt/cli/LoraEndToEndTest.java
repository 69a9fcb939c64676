package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4's acceptance, end to end on real files: {@code smelt finetune} teaches the Shakespeare
 * model a handful of Banking77 intents (prompt/completion), then {@code smelt run --lora} — with the
 * PEFT directory and with the llama.cpp GGUF adapter — answers the training prompts with their labels
 * at temperature 0 and stops (EOS was trained). Nothing is mocked: the same Main the user runs.
 */
class LoraEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Four intents; on this character-level vocabulary each label is 11-20 tokens the model must produce and end with EOS. */
    private static final List<String> INTENTS = List.of("card_arrival", "exchange_rate", "lost_or_stolen_phone", "atm_support");
    private static final int PER_INTENT = 4;
    /** Training loss (mean per target token, label + EOS) that counts as "learned": above 80% probability per token. */
    private static final double MAX_FINAL_LOSS = 0.2;
    /** At most one of the 16 training prompts may come out wrong ("nearly all"). */
    private static final int MAX_WRONG = 1;

    /** Short examples (≤ 60 characters, no quoting) of each intent, in file order. */
    static List<String[]> examples() throws Exception {
        Map<String, List<String>> by = new LinkedHashMap<>();
        for (String i : INTENTS) {
            by.put(i, new ArrayList<>());
        }
        for (String line : Files.readAllLines(SharedData.require("data/banking77/train.csv"))) {
            int comma = line.lastIndexOf(',');
            if (comma < 0) {
                continue; // a continuation line of a quoted multi-line field
            }
            String label = line.substring(comma + 1);
            String text = line.substring(0, comma);
            List<String> l = by.get(label);
            if (l != null && l.size() < PER_INTENT && !text.contains("\"") && text.length() <= 60) {
                l.add(text);
            }
        }
        List<String[]> out = new ArrayList<>();
        for (int k = 0; k < PER_INTENT; k++) {
            for (String i : INTENTS) {
                out.add(new String[] {by.get(i).get(k), i});
            }
        }
        return out;
    }

    static String prompt(String text) {
        return "Query: " + text + "\nIntent:";
    }

    @Test
    void tunedAdapterAnswersTheTrainedLabelsThroughSmeltRun(@TempDir Path dir) throws Exception {
        String model = SharedData.model("shakespeare.gguf").toString();
        List<String[]> ex = examples();
        List<String> lines = new ArrayList<>();
        for (String[] e : ex) {
            lines.add(JSON.writeValueAsString(Map.of("prompt", prompt(e[0]), "completion", " " + e[1])));
        }
        Path data = dir.resolve("intents.jsonl");
        Files.write(data, lines);
        Path out = dir.resolve("tuned");
        String[] r = CliRun.run("finetune", "--model", model, "--data", data.toString(), "--out", out.toString(),
                "--steps", "60", "--lora-rank", "8", "--lr", "1e-2", "--warmup", "2", "--batch-tokens", "512",
                "--no-grad-checkpointing", "--seed", "7", "--threads", "2", "--save-every", "1000");
        assertThat(r[0]).as("finetune exit code; stderr: %s", r[2]).isEqualTo("0");
        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        double finalLoss = Double.parseDouble(metrics.getLast().split(",")[1]);
        assertThat(finalLoss).as("training loss at the last step; metrics %s", metrics).isLessThan(MAX_FINAL_LOSS);

        for (Path adapter : List.of(out, out.resolve("adapter.gguf"))) {
            List<String> wrong = new ArrayList<>();
            for (String[] e : ex) {
                String[] g = CliRun.run("run", model, "--lora", adapter.toString(), "-p", prompt(e[0]),
                        "--temperature", "0", "-n", "32", "-t", "2");
                assertThat(g[0]).as("smelt run --lora %s; stderr %s", adapter, g[2]).isEqualTo("0");
                assertThat(g[2]).as("generation must stop at the trained EOS, not at -n; output %s", g[1]).contains("END_OF_GENERATION");
                if (!g[1].strip().equals(e[1])) {
                    wrong.add(e[0] + " -> '" + g[1].strip() + "' (want " + e[1] + ")");
                }
            }
            assertThat(wrong).as("wrong answers with --lora %s", adapter).hasSizeLessThanOrEqualTo(MAX_WRONG);
        }
        String[] base = CliRun.run("run", model, "-p", prompt(ex.get(0)[0]), "--temperature", "0", "-n", "32", "-t", "2");
        assertThat(base[1].strip()).as("the base model alone does not know the label").isNotEqualTo(ex.get(0)[1]);
    }
}
