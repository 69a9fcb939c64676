package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import dev.smelt.train.data.PackedBatch;
import dev.smelt.train.data.TokenizedExample;
import dev.smelt.train.model.LoraModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code smelt finetune} on every architecture smelt runs (the shared reference models), then
 * {@code smelt run --lora} with the PEFT directory and with the llama.cpp GGUF adapter it wrote: the
 * logits of the run equal those of the trained adapter (read from the exact-resume checkpoint) through
 * the training forward. So the files carry what was trained (phi3: LoRA on row slices of its fused
 * projections; gemma3: tied output, scaled embeddings, sliding window) and inference applies it as
 * training computed it.
 */
class FinetuneArchitecturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** As TrainingForwardTest: the training forward vs inference, per row, relative to the row's max |logit|. */
    static final double REL_TO_ROW_MAX = 2e-5;
    private static final int[] PROMPT = {1, 40, 77, 91, 66, 12, 90, 5, 60, 33, 71, 44}; // longer than gemma3's window of 8
    private static final int GEN = 4;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "phi3", "gemma3"})
    void runWithTheAdapterReproducesWhatWasTrained(String arch) throws Exception {
        Path model = SharedData.model(arch + ".gguf");
        List<String> lines = new ArrayList<>();
        String[][] rows = {{"my card has not arrived", "card_arrival"}, {"what is the exchange rate", "exchange_rate"},
            {"I lost my phone", "lost_or_stolen_phone"}, {"the atm ate my card", "atm_support"}};
        for (String[] r : rows) {
            lines.add(JSON.writeValueAsString(Map.of("prompt", "Query: " + r[0] + "\nIntent:", "completion", " " + r[1])));
        }
        Path data = dir.resolve("train.jsonl");
        Files.write(data, lines);
        Path out = dir.resolve("tuned");
        String[] r = CliRun.run("finetune", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--steps", "2", "--lora-rank", "4", "--lr", "1e-2", "--warmup", "0", "--batch-tokens", "128", "--threads", "2");
        assertThat(r[0]).as("finetune on %s; stderr %s", arch, r[2]).isEqualTo("0");

        float[] base = dumpLogits(model, null);
        int vocab = base.length / (PROMPT.length + GEN);
        float[] trained;
        try (LoraModel m = LoraModel.open(model); ThreadPool pool = new ThreadPool(2)) {
            m.attach(readCheckpointAdapter(out.resolve("checkpoint.safetensors")));
            trained = null;
            for (Path adapter : List.of(out, out.resolve("adapter.gguf"))) {
                float[] got = dumpLogits(model, adapter);
                if (trained == null) {
                    trained = m.logits(pool, batch(tokensOf(got, vocab)));
                }
                int rowsCompared = PROMPT.length + GEN - 1; // rows whose tokens are all known
                for (int i = 0; i < rowsCompared; i++) {
                    float[] e = Arrays.copyOfRange(trained, i * vocab, (i + 1) * vocab);
                    float[] a = Arrays.copyOfRange(got, i * vocab, (i + 1) * vocab);
                    Tolerances.assertClose(arch + " run --lora " + adapter.getFileName() + " row " + i, e, a, REL_TO_ROW_MAX * Tolerances.maxAbs(e), 0);
                }
            }
        }
        double moved = Tolerances.maxAbsDiff(Arrays.copyOf(base, PROMPT.length * vocab), Arrays.copyOf(trained, PROMPT.length * vocab));
        assertThat(moved / Tolerances.maxAbs(base)).as("the trained adapter changes the logits well beyond the tolerance").isGreaterThan(100 * REL_TO_ROW_MAX);
    }

    /** {@code smelt run --prompt-ids … -n GEN --temperature 0 --ignore-eos --dump-logits}, optionally with {@code --lora}. */
    private float[] dumpLogits(Path model, Path lora) throws Exception {
        Path f = dir.resolve(lora == null ? "base.safetensors" : "lora-" + lora.getFileName() + ".safetensors");
        List<String> args = new ArrayList<>(List.of("run", model.toString(), "--prompt-ids",
                String.join(",", Arrays.stream(PROMPT).mapToObj(Integer::toString).toList()), "-n", Integer.toString(GEN),
                "--temperature", "0", "--ignore-eos", "-t", "2", "--dump-logits", f.toString()));
        if (lora != null) {
            args.addAll(List.of("--lora", lora.toString()));
        }
        String[] r = CliRun.run(args.toArray(String[]::new));
        assertThat(r[0]).as("smelt %s; stderr %s", args, r[2]).isEqualTo("0");
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            return s.floats("logits");
        }
    }

    /** The prompt followed by the greedy tokens the dumped logits chose. */
    private static int[] tokensOf(float[] logits, int vocab) {
        int[] t = Arrays.copyOf(PROMPT, PROMPT.length + GEN);
        for (int g = 0; g < GEN; g++) {
            int row = PROMPT.length - 1 + g;
            int best = 0;
            for (int v = 1; v < vocab; v++) {
                if (logits[row * vocab + v] > logits[row * vocab + best]) {
                    best = v;
                }
            }
            t[PROMPT.length + g] = best;
        }
        return t;
    }

    private static PackedBatch batch(int[] tokens) {
        boolean[] target = new boolean[tokens.length];
        Arrays.fill(target, 1, tokens.length, true);
        return PackedBatch.pack(List.of(new TokenizedExample(tokens, target, "run")));
    }

    /** The adapter as trained: the checkpoint's lora.NAME.A/B tensors with its rank, alpha and rsLoRA flag. */
    private static LoraAdapter readCheckpointAdapter(Path ckpt) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(ckpt)) {
            Map<String, String> md = f.metadata();
            int rank = Integer.parseInt(md.get("rank"));
            Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
            for (String n : md.get("pairs").split(",")) {
                SafetensorsFile.Entry a = f.entries().get("lora." + n + ".A");
                SafetensorsFile.Entry b = f.entries().get("lora." + n + ".B");
                pairs.put(n, new LoraAdapter.Pair(n, (int) a.shape()[1], (int) b.shape()[0], f.floats(a.name()), f.floats(b.name())));
            }
            return new LoraAdapter(rank, Float.parseFloat(md.get("alpha")), Boolean.parseBoolean(md.get("rs_lora")),
                    List.of(md.get("modules").split(",")), pairs);
        }
    }
}
