package dev.smelt.cli;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraApplier;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.LoraFiles;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --lora DIR|adapter.gguf [--lora-scale S]} for commands that run a model. */
final class LoraOptions {
    @Option(names = "--lora", description = "LoRA adapter: a PEFT directory (adapter_config.json + adapter_model.safetensors) or a GGUF LoRA adapter.")
    Path lora;

    @Option(names = "--lora-scale", defaultValue = "1", description = "Multiplier on the adapter's alpha/r (default ${DEFAULT-VALUE}; 0 disables it).")
    float scale;

    /** Loads the adapter (if one was given) and wraps the model's projections with it. */
    void applyTo(DecoderModel m) throws IOException {
        if (lora == null) {
            return;
        }
        apply(m, lora, scale);
    }

    static void apply(DecoderModel m, Path lora, float scale) throws IOException {
        LoraAdapter a = load(m, lora, scale);
        int n = LoraApplier.apply(m, a, scale);
        System.err.printf("applied LoRA %s: rank %d, scale %.4g × %.4g on %d projections%n", lora, a.rank(), a.scale(), scale, n);
    }

    static LoraAdapter load(DecoderModel m, Path lora, float scale) throws IOException {
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("--lora-scale must be a finite number, got " + scale);
        }
        return LoraFiles.load(lora, LoraBase.of(m.file()));
    }
}
