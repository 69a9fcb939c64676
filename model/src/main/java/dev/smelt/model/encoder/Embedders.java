package dev.smelt.model.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.ModelException;
import dev.smelt.model.onnx.OnnxModel;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.tensor.ThreadPool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Opens embedding models by name or path. Built in (weights and tokenizer.json read from the Maven Central
 * artifacts {@code dev.langchain4j:langchain4j-embeddings-*:1.0.0-beta1} on the classpath; only their
 * resources are used, smelt computes):
 * <ul>
 *   <li>{@code all-minilm-l6-v2} — sentence-transformers/all-MiniLM-L6-v2: mean pooling, L2-normalized (the default)</li>
 *   <li>{@code bge-small-en-v1.5} — BAAI/bge-small-en-v1.5: [CLS] pooling, L2-normalized</li>
 * </ul>
 * A path may be a GGUF file of llama.cpp's {@code bert} architecture (see {@link GgufBertLoader}), an {@code .onnx} file (with {@code tokenizer.json} or {@code NAME-tokenizer.json} beside it),
 * or a Hugging Face directory ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json},
 * optionally sentence-transformers' {@code 1_Pooling/config.json} and {@code modules.json}). Stateless.
 */
public final class Embedders {
    /** The embedded default embedder. */
    public static final String DEFAULT = "all-minilm-l6-v2";
    /** BERT's LayerNorm epsilon, used when no config.json says otherwise. */
    static final float BERT_EPS = 1e-12f;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A built-in model: classpath resources and its pooling as its model card specifies. */
    record Builtin(String name, String onnx, String tokenizer, Pooling pooling, boolean normalize) {
    }

    private static final Map<String, Builtin> BUILTIN = Map.of(
            "all-minilm-l6-v2", new Builtin("all-minilm-l6-v2", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
                    Pooling.MEAN, true),
            "bge-small-en-v1.5", new Builtin("bge-small-en-v1.5", "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json",
                    Pooling.CLS, true));

    private static final Map<String, String> ALIASES = Map.of(
            "all-minilm-l6-v2", "all-minilm-l6-v2",
            "sentence-transformers/all-minilm-l6-v2", "all-minilm-l6-v2",
            "all-minilm", "all-minilm-l6-v2",
            "bge-small-en-v1.5", "bge-small-en-v1.5",
            "bge-small-en-v15", "bge-small-en-v1.5",
            "baai/bge-small-en-v1.5", "bge-small-en-v1.5");

    private Embedders() {
    }

    /** Names accepted by {@link #open} besides paths. */
    public static List<String> builtinNames() {
        return List.of("all-minilm-l6-v2", "bge-small-en-v1.5");
    }

    /** The canonical built-in name for {@code nameOrAlias} (case-insensitive, ":latest" ignored), or null. */
    public static String builtinName(String nameOrAlias) {
        if (nameOrAlias == null) {
            return null;
        }
        String n = nameOrAlias.toLowerCase(Locale.ROOT);
        if (n.endsWith(":latest")) {
            n = n.substring(0, n.length() - 7);
        }
        return ALIASES.get(n);
    }

    /** The classpath URL of a built-in model's weights (listings report its size), or null for another name. */
    public static java.net.URL builtinWeights(String nameOrAlias) {
        String b = builtinName(nameOrAlias);
        return b == null ? null : Embedders.class.getClassLoader().getResource(BUILTIN.get(b).onnx());
    }

    /** Opens a built-in model or a path, computing on a new pool of {@code threads} threads. */
    public static BertEmbedder open(String nameOrPath, int threads) throws IOException {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            throw new IllegalArgumentException("model name or path must not be empty");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        String builtin = builtinName(nameOrPath);
        if (builtin != null) {
            return openBuiltin(BUILTIN.get(builtin), threads);
        }
        Path p = Path.of(nameOrPath);
        if (!Files.exists(p)) {
            throw new IOException("embedding model '" + nameOrPath + "' is neither a built-in name " + builtinNames()
                    + " nor an existing file or directory");
        }
        if (Files.isRegularFile(p) && p.toString().endsWith(".gguf")) {
            return GgufBertLoader.open(p, threads); // weights and WordPiece vocabulary both in the file
        }
        return openPath(p, threads);
    }

    /** The built-in model under its canonical name (see {@link #builtinName}), or null. */
    static Builtin builtin(String canonicalName) {
        return BUILTIN.get(canonicalName);
    }

    private static BertEmbedder openBuiltin(Builtin b, int threads) throws IOException {
        return openBuiltin(b, threads, BuiltinCache.fromEnvironment(System.getenv()));
    }

    /** From {@code cache} when it holds this model, else from the ONNX graph in the jar (then cached). */
    static BertEmbedder openBuiltin(Builtin b, int threads, BuiltinCache cache) throws IOException {
        Path folder = cache.folder(b);
        BertEmbedder cached = cache.open(b, folder, threads);
        if (cached != null) {
            return cached;
        }
        Path tmp = Files.createTempFile("smelt-tokenizer-", ".json");
        try {
            try (InputStream in = resource(b.tokenizer())) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Tokenizer tok = Tokenizers.fromHuggingFace(tmp, null);
            int truncation = truncation(tmp);
            Map<String, float[]> derived = new java.util.HashMap<>();
            BertWeights w;
            try (InputStream in = resource(b.onnx()); OnnxModel m = OnnxModel.read("classpath:" + b.onnx(), in)) {
                w = OnnxBertLoader.load(m, 0, BERT_EPS, b.pooling(), b.normalize(), truncation, derived::put);
            }
            cache.store(folder, w.config(), derived, tmp);
            return new BertEmbedder(b.name(), tok, w, new ThreadPool(threads), true);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = Embedders.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("built-in model resource '" + name + "' is not on the classpath (the langchain4j-embeddings "
                    + "artifact is missing from this build)");
        }
        return in;
    }

    private static BertEmbedder openPath(Path p, int threads) throws IOException {
        Path dir = Files.isDirectory(p) ? p : p.toAbsolutePath().getParent();
        String stem = Files.isDirectory(p) ? "" : p.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        Path tokPath = Files.isRegularFile(dir.resolve(stem + "-tokenizer.json")) ? dir.resolve(stem + "-tokenizer.json")
                : dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokPath)) {
            throw new IOException(p + ": no tokenizer.json next to the model (looked for " + tokPath + ")");
        }
        Tokenizer tok = Tokenizers.fromHuggingFace(tokPath);
        int truncation = truncation(tokPath);
        JsonNode config = readJson(dir.resolve("config.json"));
        Pooling pooling = Pooling.MEAN;
        boolean normalize = true;
        JsonNode pool = readJson(dir.resolve("1_Pooling").resolve("config.json"));
        if (pool != null) {
            pooling = pool.path("pooling_mode_cls_token").asBoolean(false) ? Pooling.CLS : Pooling.MEAN;
        }
        JsonNode modules = readJson(dir.resolve("modules.json"));
        if (modules != null) {
            normalize = modules.toString().contains("sentence_transformers.models.Normalize");
        }
        String name = p.getFileName().toString();
        BertWeights w;
        Path onnx = Files.isDirectory(p) ? firstExisting(p.resolve("model.onnx"), p.resolve("onnx").resolve("model.onnx")) : p;
        if (onnx != null && onnx.toString().endsWith(".onnx")) {
            int heads = config == null ? 0 : config.path("num_attention_heads").asInt(0);
            float eps = config == null ? BERT_EPS : (float) config.path("layer_norm_eps").asDouble(BERT_EPS);
            try (OnnxModel m = OnnxModel.open(onnx)) {
                w = OnnxBertLoader.load(m, heads, eps, pooling, normalize, truncation);
            }
        } else if (Files.isDirectory(p)) {
            w = SafetensorsBertLoader.load(p, pooling, normalize, truncation);
        } else {
            throw new IOException(p + ": not an .onnx file or a model directory");
        }
        return new BertEmbedder(name, tok, w, new ThreadPool(threads), true);
    }

    /**
     * Writes the tokenizer.json of a built-in model or path (as {@link #open} finds it) to {@code dest}
     * (temporary file, then rename): fine-tuned encoders are saved with the tokenizer they were trained with.
     */
    public static void copyTokenizer(String nameOrPath, Path dest) throws IOException {
        String builtin = builtinName(nameOrPath);
        Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
        try {
            if (builtin != null) {
                try (InputStream in = resource(BUILTIN.get(builtin).tokenizer())) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
            } else if (nameOrPath.endsWith(".gguf") && Files.isRegularFile(Path.of(nameOrPath))) {
                writeGgufTokenizer(Path.of(nameOrPath), tmp);
            } else {
                Path p = Path.of(nameOrPath);
                Path dir = Files.isDirectory(p) ? p : p.toAbsolutePath().getParent();
                String stem = Files.isDirectory(p) ? "" : p.getFileName().toString().replaceFirst("\\.[^.]+$", "");
                Path tok = Files.isRegularFile(dir.resolve(stem + "-tokenizer.json")) ? dir.resolve(stem + "-tokenizer.json")
                        : dir.resolve("tokenizer.json");
                if (!Files.isRegularFile(tok)) {
                    throw new IOException(p + ": no tokenizer.json next to the model (looked for " + tok + ")");
                }
                Files.copy(tok, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A bert GGUF's WordPiece vocabulary as tokenizer.json, truncating where the GGUF encoder does. */
    private static void writeGgufTokenizer(Path gguf, Path dest) throws IOException {
        try (dev.smelt.model.gguf.GgufFile f = dev.smelt.model.gguf.GgufFile.open(gguf)) {
            int max = f.getInt(BertGguf.MAX_TOKENS, f.getInt(BertGguf.CONTEXT_LENGTH, 0));
            JSON.writerWithDefaultPrettyPrinter().writeValue(dest.toFile(), Tokenizers.toHuggingFaceJson(Tokenizers.fromGguf(f), max, gguf.toString()));
        }
    }

    private static Path firstExisting(Path... ps) {
        for (Path x : ps) {
            if (Files.isRegularFile(x)) {
                return x;
            }
        }
        return null;
    }

    static JsonNode readJson(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            return null;
        }
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new IOException(p + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** tokenizer.json's truncation.max_length, or Integer.MAX_VALUE when it sets none. */
    static int truncation(Path tokenizerJson) throws IOException {
        JsonNode t = readJson(tokenizerJson).path("truncation");
        int n = t.path("max_length").asInt(0);
        if (n != 0 && n < 3) {
            throw new ModelException(tokenizerJson + ": truncation.max_length " + n + " leaves no room for text");
        }
        return n == 0 ? Integer.MAX_VALUE : n;
    }
}
