package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.ModelException;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Opens a GGUF decoder model by its {@code general.architecture}. */
public final class Models {
    /** Architectures smelt can run, as GGUF names them. */
    public static final List<String> SUPPORTED = List.of("llama", "qwen2", "qwen3", "phi3", "gemma3");

    private Models() {
    }

    /** Maps {@code path} and builds its model; the model owns (and closes) the file. */
    public static DecoderModel load(Path path) throws IOException {
        GgufFile f = GgufFile.open(path);
        try {
            return load(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Builds the model for an open file; the model takes ownership of {@code f}. */
    public static DecoderModel load(GgufFile f) {
        String arch = f.architecture();
        if (arch == null) {
            throw new ModelException(f.path() + ": metadata 'general.architecture' is missing");
        }
        GgufTensorInfo emb = f.tensor("token_embd.weight");
        if (emb == null) {
            throw new ModelException(f.path() + ": missing tensor 'token_embd.weight'");
        }
        if (arch.equals(dev.smelt.model.encoder.BertGguf.ARCH)) {
            throw new ModelException(f.path() + ": a bert encoder, not a text generator: use `smelt embed --model "
                    + f.path() + "` or `smelt serve " + f.path() + "` (/v1/embeddings)");
        }
        if (!SUPPORTED.contains(arch)) {
            throw new ModelException(f.path() + ": architecture '" + arch + "' is not supported; supported: " + String.join(", ", SUPPORTED));
        }
        ModelConfig c = ModelConfig.read(f, arch, (int) emb.rows());
        return switch (arch) {
            case "llama" -> new LlamaModel(f, c);
            case "qwen2" -> new Qwen2Model(f, c);
            case "qwen3" -> new Qwen3Model(f, c);
            case "phi3" -> new Phi3Model(f, c);
            case "gemma3" -> new Gemma3Model(f, c);
            default -> throw new IllegalStateException(arch);
        };
    }
}
