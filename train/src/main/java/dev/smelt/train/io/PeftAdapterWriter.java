package dev.smelt.train.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a LoRA adapter as Hugging Face PEFT saves it: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with tensors
 * {@code base_model.model.model.layers.N.{self_attn|mlp}.MODULE.lora_A.weight} [r, in] and
 * {@code ….lora_B.weight} [out, r] (F32). Both files are written to a temp file and renamed.
 * Stateless, thread-safe.
 */
public final class PeftAdapterWriter {
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.([a-z_]+)\\.weight");

    private PeftAdapterWriter() {
    }

    /** PEFT tensor prefix (without .lora_A.weight) for a GGUF base name such as {@code blk.3.ffn_up.weight}. */
    public static String peftName(String ggufName) {
        Matcher m = BLOCK.matcher(ggufName);
        String module = m.matches() ? LoraAdapter.peftModule(m.group(2)) : null;
        if (module == null) {
            throw new IllegalArgumentException("no PEFT name for LoRA base tensor '" + ggufName + "'");
        }
        String group = module.endsWith("_proj") && (module.startsWith("gate") || module.startsWith("up") || module.startsWith("down")) ? "mlp" : "self_attn";
        return "base_model.model.model.layers." + m.group(1) + "." + group + "." + module;
    }

    /**
     * @param baseModel recorded as base_model_name_or_path (the GGUF file name)
     */
    public static void write(Path dir, LoraAdapter ad, float dropout, String baseModel) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (LoraAdapter.Pair p : ad.pairs().values()) {
            String n = peftName(p.baseName());
            w.f32(n + ".lora_A.weight", new long[] {p.rank(), p.in()}, p.a());
            w.f32(n + ".lora_B.weight", new long[] {p.out(), p.rank()}, p.b());
        }
        w.write(dir.resolve("adapter_model.safetensors"));
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode c = json.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", ad.rank());
        c.put("lora_alpha", ad.alpha());
        c.put("lora_dropout", dropout);
        c.put("use_rslora", ad.rsLora());
        c.putArray("target_modules").addAll(ad.targetModules().stream().map(json.getNodeFactory()::textNode).toList());
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("modules_to_save");
        Path cfg = dir.resolve("adapter_config.json");
        Path tmp = dir.resolve("adapter_config.json.tmp");
        json.writeValue(tmp.toFile(), c);
        Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
