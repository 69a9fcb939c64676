package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.LoraFiles;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** smelt run --lora (PEFT and GGUF adapters) and smelt merge agree with each other. */
class LoraCommandsTest {
    /** Reassociated F32 sums over 2 layers (see compress LoraMergeTest); logits are O(1–10). */
    private static final double ABS_TOL = 1e-4;
    private static final String PROMPT = "1,40,87,300,12,77,501,9,256,128";

    @TempDir
    Path dir;

    @Test
    void peftGgufAndMergedModelGiveTheSameLogits() throws Exception {
        Path model = SharedData.model("llama.gguf");
        Path peft = dir.resolve("adapter");
        try (DecoderModel m = Models.load(model)) {
            LoraFiles.writeAll(randomAdapter(m), LoraBase.of(m.file()), 0f, peft);
        }
        float[] base = logits(model, "base");
        float[] viaPeft = logits(model, "peft", "--lora", peft.toString());
        float[] viaGguf = logits(model, "gguf", "--lora", peft.resolve("adapter.gguf").toString());
        Path merged = dir.resolve("merged.gguf");
        RunCommandTest.run("merge", "--model", model.toString(), "--lora", peft.toString(), "-o", merged.toString());
        float[] viaMerge = logits(merged, "merged");
        assertThat(Tolerances.maxAbsDiff(base, viaPeft)).isGreaterThan(0.05);
        Tolerances.assertClose("GGUF adapter vs PEFT adapter", viaPeft, viaGguf, ABS_TOL, 0);
        Tolerances.assertClose("merged vs PEFT adapter", viaPeft, viaMerge, ABS_TOL, 0);
        assertThat(Files.readString(dir.resolve("Modelfile"))).contains("FROM ./merged.gguf");
        float[] half = logits(model, "half", "--lora", peft.toString(), "--lora-scale", "0");
        Tolerances.assertClose("scale 0", base, half, 1e-5, 0);
    }

    @Test
    void badAdaptersExitNonZeroWithTheFileNamed() throws Exception {
        Path model = SharedData.model("llama.gguf");
        String err = fail("run", model.toString(), "--prompt-ids", "1,2", "-n", "1", "--lora", dir.resolve("nope").toString());
        assertThat(err).startsWith("smelt: error: no such file: ").contains("nope").doesNotContain("Exception");
        Path qwen = dir.resolve("qwen");
        try (DecoderModel m = Models.load(SharedData.model("qwen2.gguf"))) {
            LoraFiles.writeAll(randomAdapter(m), LoraBase.of(m.file()), 0f, qwen);
        }
        err = fail("run", model.toString(), "--prompt-ids", "1,2", "-n", "1", "--lora", qwen.resolve("adapter.gguf").toString());
        assertThat(err).contains("adapter.gguf").contains("architecture 'qwen2' does not match the model's 'llama'");
        err = fail("merge", "--model", model.toString(), "--lora", model.toString(), "-o", dir.resolve("x.gguf").toString());
        assertThat(err).contains("'general.type' is").contains("llama.gguf");
        assertThat(dir.resolve("x.gguf")).doesNotExist();
    }

    private float[] logits(Path model, String tag, String... extra) throws Exception {
        Path out = dir.resolve(tag + ".safetensors");
        List<String> args = new java.util.ArrayList<>(List.of("run", model.toString(), "--prompt-ids", PROMPT, "-n", "1",
                "--temperature", "0", "--print-ids", "--dump-logits", out.toString()));
        args.addAll(List.of(extra));
        RunCommandTest.run(args.toArray(String[]::new));
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            return f.floats("logits");
        }
    }

    private static String fail(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.execute(args)).isEqualTo(1);
        } finally {
            System.setErr(old);
        }
        return buf.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("smelt:")).findFirst().orElse("");
    }

    static LoraAdapter randomAdapter(DecoderModel m) {
        var c = m.config();
        Random rnd = new Random(9);
        Map<String, LoraAdapter.Pair> pairs = new LinkedHashMap<>();
        for (int l = 0; l < c.layers(); l++) {
            Object[][] shapes = {{"attn_q", c.qDim(), c.dim()}, {"attn_k", c.kvDim(), c.dim()}, {"ffn_down", c.dim(), c.ffnDim()}};
            for (Object[] s : shapes) {
                String n = "blk." + l + "." + s[0] + ".weight";
                int out = (Integer) s[1];
                int in = (Integer) s[2];
                float[] a = new float[4 * in];
                float[] b = new float[out * 4];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) rnd.nextGaussian() * 0.1f;
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) rnd.nextGaussian() * 0.1f;
                }
                pairs.put(n, new LoraAdapter.Pair(n, in, out, a, b));
            }
        }
        return new LoraAdapter(4, 8f, false, List.of("q_proj", "k_proj", "down_proj"), pairs);
    }
}
