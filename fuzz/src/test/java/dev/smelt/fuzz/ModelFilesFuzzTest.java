package dev.smelt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.TensorScan;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.PeftAdapter;
import dev.smelt.model.onnx.OnnxModel;
import dev.smelt.model.safetensors.SafetensorsFile;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Model files: GGUF, safetensors, ONNX protobuf, tokenizer.json, PEFT adapter directories, chat templates. */
class ModelFilesFuzzTest {
    private static final Path DIR = Outcomes.tempDir("smelt-fuzz-model");
    private static final String SAMPLE = "Hello, world! 123 héllo 中文 🙂\n\t<s>";
    /** A llama-shaped base for PEFT adapters: 4 heads over 2 kv heads, 8-wide projections. */
    private static final LoraBase BASE = new LoraBase("llama", 4, 2, "fuzz", Map.of(
            "blk.0.attn_q.weight", new int[] {8, 8}, "blk.0.attn_k.weight", new int[] {4, 8},
            "blk.0.attn_v.weight", new int[] {4, 8}, "blk.0.attn_output.weight", new int[] {8, 8}));

    @FuzzTest
    void gguf(byte[] data) {
        Path p = Outcomes.write(DIR, "fuzz.gguf", data);
        Outcomes.expect(() -> {
            try (GgufFile f = GgufFile.open(p)) {
                for (GgufTensorInfo t : f.tensors()) {
                    f.tensorData(t);
                }
                TensorScan.nonFinite(f);
                Outcomes.expect(() -> roundTrip(Tokenizers.fromGguf(f)));
            }
        });
        Outcomes.expect(() -> {
            try (DecoderModel m = Models.load(p, w -> { })) {
                m.config();
            }
        });
    }

    @FuzzTest
    void safetensors(byte[] data) {
        Path p = Outcomes.write(DIR, "fuzz.safetensors", data);
        Outcomes.expect(() -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                for (SafetensorsFile.Entry e : f.entries().values()) {
                    if (e.dtype().startsWith("F") || e.dtype().equals("BF16")) {
                        f.floats(e.name());
                    }
                }
            }
        });
    }

    @FuzzTest
    void onnx(byte[] data) {
        Outcomes.expect(() -> {
            try (OnnxModel m = OnnxModel.parse("fuzz.onnx", MemorySegment.ofArray(data), null)) {
                for (OnnxModel.Initializer i : m.initializers().values()) {
                    if (i.dataType() == OnnxModel.FLOAT) {
                        i.floats();
                    } else if (i.dataType() == OnnxModel.INT64) {
                        i.longs();
                    }
                }
                m.nodes();
                m.graphInputs();
            }
        });
    }

    @FuzzTest
    void tokenizerJson(byte[] data) {
        Path p = Outcomes.write(DIR, "tokenizer.json", data);
        Outcomes.expect(() -> roundTrip(Tokenizers.fromHuggingFace(p)));
    }

    /** Input: adapter_config.json, a 0 byte, adapter_model.safetensors. */
    @FuzzTest
    void peftAdapter(byte[] data) {
        byte[][] parts = Outcomes.split(data);
        Path dir = DIR.resolve("adapter");
        dir.toFile().mkdirs();
        Outcomes.write(dir, PeftAdapter.CONFIG, parts[0]);
        Outcomes.write(dir, PeftAdapter.WEIGHTS, parts[1]);
        Outcomes.expect(() -> PeftAdapter.read(dir, BASE));
    }

    @FuzzTest
    void chatTemplate(byte[] data) {
        String source = new String(data, StandardCharsets.UTF_8);
        List<Map<String, Object>> messages = List.of(
                Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "Hi"),
                Map.of("role", "assistant", "content", "Hello!"),
                Map.of("role", "user", "content", SAMPLE));
        Outcomes.expect(() -> ChatTemplate.of(source, "<s>", "</s>").render(messages, null, true));
    }

    private static void roundTrip(Tokenizer t) {
        int[] ids = t.encode(SAMPLE, true, true);
        t.decode(ids);
    }
}
