package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI interfaces outside checks rely on, against llama.cpp's goldens. */
class RunCommandTest {
    /** Same tolerance as the forward golden test: float32 engine vs PyTorch reference. */
    static final double REL_TO_ROW_MAX = 2e-5;

    static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            assertThat(code).as("exit code of %s", Arrays.toString(args)).isZero();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void decodeRateIsNotApplicableWithoutTokensAfterTheFirst() {
        assertThat(RunCommand.decodeRate(1, 5_000_000)).isEqualTo("n/a (1 token)");
        assertThat(RunCommand.decodeRate(0, 0)).isEqualTo("n/a (0 tokens)");
        assertThat(RunCommand.decodeRate(3, 1_000_000_000)).isEqualTo("2.0 tokens/s");
        String[] r = CliRun.run("run", SharedData.model("llama.gguf").toString(), "--prompt-ids", "1,2", "-n", "1", "--print-ids", "--ignore-eos");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2]).contains("1 generated", "decode n/a (1 token)").doesNotContain("0.0 tokens/s");
    }

    @Test
    void printIdsGivesLlamaCppsGreedyContinuation() throws Exception {
        Path model = SharedData.model("llama.gguf");
        try (SafetensorsFile g = SafetensorsFile.open(SharedData.golden("llama.golden.safetensors"))) {
            int[] tokens = g.ints("tokens");
            String prompt = String.join(",", Arrays.stream(tokens, 0, 24).mapToObj(Integer::toString).toList());
            String out = run("run", model.toString(), "--prompt-ids", prompt, "-n", "16", "--temperature", "0", "--print-ids", "--ignore-eos");
            int[] got = Arrays.stream(out.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
            assertThat(got).containsExactly(Arrays.copyOfRange(tokens, 24, 40));
        }
    }

    @Test
    void speculativeRunsPrintTheNonSpeculativeContinuation() {
        String model = SharedData.model("shakespeare.gguf").toString();
        String[] base = {"run", model, "-p", "ROMEO:", "-n", "32", "--temperature", "0", "--print-ids", "--ignore-eos"};
        String plain = run(base);
        String[] lookup = CliRun.run(concat(base, "--lookup"));
        assertThat(lookup[0]).as(lookup[2]).isEqualTo("0");
        assertThat(lookup[1].trim()).isEqualTo(plain.trim());
        assertThat(lookup[2]).contains("speculative (prompt lookup)");
        String[] draft = CliRun.run(concat(base, "--draft", SharedData.model("shakespeare-Q8_0.gguf").toString(), "--draft-p-min", "0.3"));
        assertThat(draft[0]).as(draft[2]).isEqualTo("0");
        assertThat(draft[1].trim()).isEqualTo(plain.trim());
        assertThat(draft[2]).contains("speculative (draft model)");
        String[] missing = CliRun.run(concat(base, "--draft", "no-such-draft.gguf"));
        assertThat(missing[0]).isNotEqualTo("0");
        assertThat(missing[2]).contains("--draft no-such-draft.gguf: no such file");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void dumpLogitsWritesEveryRow(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("l.safetensors");
        try (SafetensorsFile g = SafetensorsFile.open(SharedData.golden("qwen3.golden.safetensors"))) {
            int[] tokens = g.ints("tokens");
            String prompt = String.join(",", Arrays.stream(tokens, 0, 24).mapToObj(Integer::toString).toList());
            run("run", SharedData.model("qwen3.gguf").toString(), "--prompt-ids", prompt, "-n", "16", "--temperature", "0",
                    "--print-ids", "--ignore-eos", "--dump-logits", out.toString());
            float[] ref = g.floats("logits_float_ref");
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                assertThat(f.entry("logits").shape()).containsExactly(40, 512);
                float[] got = f.floats("logits");
                for (int i = 0; i < 40; i++) {
                    float[] r = Arrays.copyOfRange(ref, i * 512, (i + 1) * 512);
                    Tolerances.assertClose("row " + i, r, Arrays.copyOfRange(got, i * 512, (i + 1) * 512),
                            REL_TO_ROW_MAX * Tolerances.maxAbs(r), 0);
                }
            }
        }
    }

    @Test
    void textPromptStreamsTheTrainedModelsGreedyText() {
        String out = run("run", SharedData.model("shakespeare.gguf").toString(), "-p", "ROMEO:", "-n", "30", "--temperature", "0");
        assertThat(out).startsWith("\nThat is the world of England's death");
    }

    @Test
    void stopTextEndsGenerationAndIsNotPrinted() {
        String out = run("run", SharedData.model("shakespeare.gguf").toString(), "-p", "ROMEO:", "-n", "30", "--temperature", "0",
                "--stop", "world");
        assertThat(out.strip()).isEqualTo("That is the");
    }

    @Test
    void badInputIsAClearErrorWithNonZeroExit() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.execute("run", "/nonexistent/model.gguf", "-p", "hi")).isEqualTo(1);
            assertThat(Main.execute("run", SharedData.model("llama.gguf").toString(), "--prompt-ids", "1,99999", "-n", "2")).isEqualTo(1);
            assertThat(Main.execute("run", SharedData.model("llama.gguf").toString(), "--prompt-ids", "1,2", "-n", "5000", "--ctx", "64")).isEqualTo(1);
            // prompt + max tokens overflowed int: the context check was skipped and an array of negative size followed
            assertThat(Main.execute("run", SharedData.model("llama.gguf").toString(), "-p", "hi", "-n", "2147483647")).isEqualTo(1);
            assertThat(Main.execute("run", SharedData.model("llama.gguf").toString(), "--prompt-ids", "1,2", "-n", "2147483647",
                    "--dump-logits", "/nonexistent/l.safetensors")).isEqualTo(1);
        } finally {
            System.setErr(oldErr);
        }
        String e = err.toString(StandardCharsets.UTF_8);
        assertThat(e).contains("smelt: error: no such file: /nonexistent/model.gguf");
        assertThat(e).contains("token id 99999").contains("outside the vocabulary");
        assertThat(e).contains("exceed the context of 64 tokens");
        assertThat(e).contains("max tokens (2147483647) exceed the context of").doesNotContain("NegativeArraySize");
        assertThat(e).doesNotContain("\tat ");
    }
}
