package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.compress.convert.SentencePieceModel;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.safetensors.SafetensorsWriter;
import dev.smelt.testkit.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** smelt prune / lowrank / quantize HF_DIR end to end, and their bad-input exits. */
class CompressCommandsTest {
    static final int VALIDATION_START = 1_003_854;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path text(Path dir, String name, int from, int bytes) throws Exception {
        byte[] all = Files.readAllBytes(SharedData.require("data/tinyshakespeare/input.txt"));
        Path p = dir.resolve(name);
        Files.write(p, Arrays.copyOfRange(all, from, from + bytes));
        return p;
    }

    static JsonNode kld(Path base, Path other, Path text) throws Exception {
        Run r = run("kld", base.toString(), other.toString(), "-f", text.toString(), "-c", "128", "--json", "-t", "2");
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void pruneWandaWithCalibrationTextAndTwoFour(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        Path calib = text(dir, "calib.txt", 0, 3_000);
        Path val = text(dir, "val.txt", VALIDATION_START, 3_000);
        Path out = dir.resolve("p.gguf");
        Run r = run("prune", base.toString(), out.toString(), "--method", "wanda", "--pattern", "2:4", "--calibration", calib.toString(),
                "-c", "128", "-t", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("28 tensors pruned").contains("(50.00%)");
        JsonNode k = kld(base, out, val);
        assertThat(k.get("mean_kld").asDouble()).isBetween(0.001, 5.0);
        assertThat(k.get("top1_agreement").asDouble()).isBetween(0.2, 1.0);
    }

    @Test
    void lowrankFactorsRunAndDenseMatchesThem(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        Path val = text(dir, "val.txt", VALIDATION_START, 3_000);
        Path fac = dir.resolve("f.gguf");
        Path dense = dir.resolve("d.gguf");
        String im = SharedData.golden("shakespeare.imatrix.gguf").toString();
        Run r = run("lowrank", base.toString(), fac.toString(), "--rank", "96", "--tensors", "attn_o,attn_q", "--imatrix", im);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("8 of 8 projections factored");
        assertThat(run("lowrank", base.toString(), dense.toString(), "--rank", "96", "--tensors", "attn_o,attn_q", "--imatrix", im, "--dense")
                .code()).isZero();
        assertThat(Files.size(fac)).isLessThan(Files.size(base));
        JsonNode kf = kld(base, fac, val);
        JsonNode kd = kld(base, dense, val);
        assertThat(kf.get("mean_kld").asDouble()).isGreaterThan(0).isCloseTo(kd.get("mean_kld").asDouble(),
                org.assertj.core.data.Percentage.withPercentage(1));
    }

    @Test
    void badArgumentsExitNonZeroWithOneLine(@TempDir Path dir) throws Exception {
        Path base = SharedData.model("shakespeare.gguf");
        String out = dir.resolve("o.gguf").toString();
        Run r = run("prune", base.toString(), out, "--method", "wanda", "--sparsity", "0.5");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--imatrix").doesNotContain("Exception").doesNotContain("\tat ");
        r = run("prune", base.toString(), out, "--sparsity", "0.5", "--pattern", "2:4");
        assertThat(r.err()).contains("exactly one of --sparsity");
        r = run("prune", base.toString(), out, "--method", "magnitude", "--sparsity", "0.5", "--tensors", "attn_z");
        assertThat(r.err()).contains("unknown tensor kind 'attn_z'");
        r = run("lowrank", base.toString(), out, "--rank", "0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--rank must be positive, got 0");
        r = run("lowrank", base.toString(), out, "--energy", "1.5");
        assertThat(r.err()).contains("got 1.5");
        Path hf = Files.createDirectories(dir.resolve("hf"));
        r = run("quantize", hf.toString(), out, "--type", "Q8_0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("config.json").contains("not found").doesNotContain("\tat ");
        assertThat(Path.of(out)).doesNotExist();
        assertThat(Files.list(dir).filter(p -> p.toString().endsWith(".tmp.gguf")).count()).isZero();
    }

    /** A qwen2 checkpoint written from the reference GGUF quantizes to the same bytes as the GGUF itself. */
    @Test
    void quantizeHuggingFaceDirectoryEqualsQuantizingTheGguf(@TempDir Path dir) throws Exception {
        Path ref = SharedData.model("qwen2.gguf");
        Path hf = writeQwen2Checkpoint(ref, dir.resolve("hf"));
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        assertThat(run("quantize", ref.toString(), a.toString(), "--type", "Q8_0").code()).isZero();
        Run r = run("quantize", hf.toString(), b.toString(), "--type", "Q8_0");
        assertThat(r.code()).as(r.err()).isZero();
        try (GgufFile fa = GgufFile.open(a); GgufFile fb = GgufFile.open(b)) {
            assertThat(fb.tensors()).hasSameSizeAs(fa.tensors());
            for (GgufTensorInfo t : fa.tensors()) {
                GgufTensorInfo u = fb.tensor(t.name());
                assertThat(u.type()).as(t.name()).isEqualTo(t.type());
                assertThat(fb.tensorData(u).toArray(ValueLayout.JAVA_BYTE)).as(t.name()).isEqualTo(fa.tensorData(t).toArray(ValueLayout.JAVA_BYTE));
            }
            assertThat(fb.getLong("general.file_type", -1)).isEqualTo(7);
        }
        assertThat(Files.list(dir).filter(p -> p.toString().endsWith(".tmp.gguf")).count()).isZero();
    }

    static Path writeQwen2Checkpoint(Path gguf, Path dir) throws Exception {
        Files.createDirectories(dir);
        try (GgufFile f = GgufFile.open(gguf)) {
            ObjectNode c = new ObjectMapper().createObjectNode();
            c.putArray("architectures").add("Qwen2ForCausalLM");
            c.put("hidden_size", f.getInt("qwen2.embedding_length", 0));
            c.put("num_hidden_layers", f.getInt("qwen2.block_count", 0));
            c.put("num_attention_heads", f.getInt("qwen2.attention.head_count", 0));
            c.put("num_key_value_heads", f.getInt("qwen2.attention.head_count_kv", 0));
            c.put("intermediate_size", f.getInt("qwen2.feed_forward_length", 0));
            c.put("vocab_size", (int) f.tensor("token_embd.weight").rows());
            c.put("rms_norm_eps", (double) f.getFloat("qwen2.attention.layer_norm_rms_epsilon", 0));
            c.put("rope_theta", (double) f.getFloat("qwen2.rope.freq_base", 0));
            c.put("tie_word_embeddings", f.tensor("output.weight") == null);
            Files.writeString(dir.resolve("config.json"), c.toString());
            SafetensorsWriter w = new SafetensorsWriter();
            for (GgufTensorInfo t : f.tensors()) {
                float[] v = f.tensorData(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                long[] shape = t.dims().length == 1 ? new long[] {t.dims()[0]} : new long[] {t.dims()[1], t.dims()[0]};
                w.f32(hfName(t.name()), shape, v);
            }
            w.write(dir.resolve("model.safetensors"));
            Files.write(dir.resolve("tokenizer.model"), new SentencePieceModel(Arrays.asList(f.getStringArray("tokenizer.ggml.tokens")),
                    f.getFloatArray("tokenizer.ggml.scores"), f.getIntArray("tokenizer.ggml.token_type"), true).encode());
        }
        return dir;
    }

    static String hfName(String g) {
        return switch (g) {
            case "token_embd.weight" -> "model.embed_tokens.weight";
            case "output_norm.weight" -> "model.norm.weight";
            case "output.weight" -> "lm_head.weight";
            default -> {
                String[] p = g.split("\\.", 3);
                String rest = switch (p[2]) {
                    case "attn_norm.weight" -> "input_layernorm.weight";
                    case "ffn_norm.weight" -> "post_attention_layernorm.weight";
                    case "attn_output.weight" -> "self_attn.o_proj.weight";
                    case "ffn_gate.weight" -> "mlp.gate_proj.weight";
                    case "ffn_up.weight" -> "mlp.up_proj.weight";
                    case "ffn_down.weight" -> "mlp.down_proj.weight";
                    default -> "self_attn." + p[2].substring(5, 6) + "_proj." + p[2].substring(p[2].indexOf('.') + 1);
                };
                yield "model.layers." + p[1] + "." + rest;
            }
        };
    }
}
