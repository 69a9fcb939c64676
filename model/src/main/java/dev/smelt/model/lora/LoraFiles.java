package dev.smelt.model.lora;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * One entry point for the adapter formats: a directory is a PEFT adapter, a file a GGUF LoRA adapter.
 * Stateless, thread-safe.
 */
public final class LoraFiles {
    /** File name the trainer writes next to the PEFT files. */
    public static final String GGUF_NAME = "adapter.gguf";

    private LoraFiles() {
    }

    /** Loads {@code path} (PEFT directory or GGUF adapter file) for {@code base}. */
    public static LoraAdapter load(Path path, LoraBase base) throws IOException {
        if (Files.isDirectory(path)) {
            return PeftAdapter.read(path, base);
        }
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString(), null, "LoRA adapter not found (give a PEFT directory or an adapter .gguf)");
        }
        return GgufLoraAdapter.read(path, base);
    }

    /**
     * Writes every format the trainer promises into {@code dir}: {@code adapter_config.json},
     * {@code adapter_model.safetensors} (PEFT) and {@code adapter.gguf} (llama.cpp).
     */
    public static void writeAll(LoraAdapter adapter, LoraBase base, float dropout, Path dir) throws IOException {
        PeftAdapter.write(adapter, base, dropout, dir);
        GgufLoraAdapter.write(adapter, base, dir.resolve(GGUF_NAME));
    }
}
