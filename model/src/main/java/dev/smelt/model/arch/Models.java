package dev.smelt.model.arch;

import dev.smelt.model.ModelConfig;
import dev.smelt.model.ModelException;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.TensorScan;
import dev.smelt.model.text.Quote;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Opens a GGUF decoder model by its {@code general.architecture}. */
public final class Models {
    /** Architectures smelt can run, as GGUF names them. */
    public static final List<String> SUPPORTED = List.of("llama", "qwen2", "qwen3", "phi3", "gemma3");

    private Models() {
    }

    /** Maps {@code path} and builds its model for {@link Workload#DECODE}; the model owns (and closes) the file. Warnings go to stderr. */
    public static DecoderModel load(Path path) throws IOException {
        return load(path, Models::printWarning);
    }

    /** Maps {@code path} and builds its model for {@code workload}; the model owns (and closes) the file. Warnings go to stderr. */
    public static DecoderModel load(Path path, Workload workload) throws IOException {
        return load(path, Models::printWarning, workload);
    }

    /** Maps {@code path} and builds its model, handing each load-time warning to {@code warnings}. */
    public static DecoderModel load(Path path, Consumer<String> warnings) throws IOException {
        return load(path, warnings, Workload.DECODE);
    }

    /** Maps {@code path} and builds its model for {@code workload}, handing each load-time warning to {@code warnings}. */
    public static DecoderModel load(Path path, Consumer<String> warnings, Workload workload) throws IOException {
        GgufFile f = GgufFile.open(path);
        try {
            return load(f, warnings, workload);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Builds the model for an open file; the model takes ownership of {@code f}. Warnings go to stderr. */
    public static DecoderModel load(GgufFile f) {
        return load(f, Models::printWarning);
    }

    /**
     * What would make a model that loads answer wrongly without failing: non-finite weights and a rope base
     * that is not positive. Each message names the file.
     */
    public static List<String> warnings(GgufFile f) {
        List<String> out = new ArrayList<>();
        String arch = f.architecture();
        String baseKey = arch + ".rope.freq_base";
        if (arch != null && f.has(baseKey)) {
            float base = f.getFloat(baseKey, 10000f);
            if (!(base > 0) || !Float.isFinite(base)) {
                out.add(f.path() + ": " + baseKey + " is " + base + " (must be a positive number): positions will not be encoded correctly");
            }
        }
        List<TensorScan.NonFinite> bad = TensorScan.nonFinite(f);
        if (!bad.isEmpty()) {
            out.add(f.path() + ": " + bad.size() + " tensor(s) hold NaN or Inf values, output will be garbage: "
                    + Quote.cut(bad.stream().map(TensorScan.NonFinite::toString).collect(Collectors.joining(", "))));
        }
        return out;
    }

    private static void printWarning(String message) {
        System.err.println("smelt: warning: " + message);
    }

    /** Builds the model for an open file for {@link Workload#DECODE} (ownership of {@code f} passes to the model), reporting warnings. */
    public static DecoderModel load(GgufFile f, Consumer<String> warnings) {
        return load(f, warnings, Workload.DECODE);
    }

    /** Builds the model for an open file for {@code workload} (ownership of {@code f} passes to the model), reporting warnings. */
    public static DecoderModel load(GgufFile f, Consumer<String> warnings, Workload workload) {
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
            throw new ModelException(f.path() + ": architecture " + Quote.of(arch) + " is not supported; supported: " + String.join(", ", SUPPORTED));
        }
        String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
        if (tokens != null && tokens.length != emb.rows()) {
            // llama.cpp refuses this too: with fewer tokens than rows the sampler can pick an id with no text,
            // with more the tokenizer can produce an id with no embedding.
            throw new ModelException(f.path() + ": tokenizer.ggml.tokens has " + tokens.length + " entries but token_embd.weight has "
                    + emb.rows() + " rows; they must match");
        }
        if (emb.rows() > Integer.MAX_VALUE) {
            throw new ModelException(f.path() + ": token_embd.weight has " + emb.rows() + " rows (at most " + Integer.MAX_VALUE + ")");
        }
        ModelConfig c = ModelConfig.read(f, arch, (int) emb.rows());
        warnings(f).forEach(warnings);
        return switch (arch) {
            case "llama" -> new LlamaModel(f, c, workload);
            case "qwen2" -> new Qwen2Model(f, c, workload);
            case "qwen3" -> new Qwen3Model(f, c, workload);
            case "phi3" -> new Phi3Model(f, c, workload);
            case "gemma3" -> new Gemma3Model(f, c, workload);
            default -> throw new IllegalStateException(arch);
        };
    }
}
