package dev.smelt.model.encoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.safetensors.SafetensorsWriter;
import dev.smelt.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.stream.Stream;

/**
 * What smelt derives from a built-in embedder's ONNX graph, kept on disk so that later starts skip the
 * work: inflating ~90 MB out of the jar and parsing the protobuf graph take seconds, reading a safetensors
 * file a fraction of one. One folder per model content, named {@code NAME-CRC(onnx)-CRC(tokenizer)-vFORMAT}
 * (the CRC-32s and sizes the jar's directory records for the resources, so the key costs no reading),
 * holding a Hugging Face BERT directory that {@link SafetensorsBertLoader} reads: config.json,
 * model.safetensors (flattened F32 tensors under Hugging Face names) and tokenizer.json. Each folder is
 * written under a temporary name and renamed into place, so a reader never sees half of one and concurrent
 * writers are harmless (the first rename wins). A folder that fails to load is deleted and rebuilt.
 * Thread-safe: no state besides the file system.
 *
 * <p>Location: {@code $SMELT_DERIVED_CACHE} ("off" disables), else {@code $SMELT_CACHE/.derived} when
 * SMELT_CACHE (the model download folder) is set, else {@code ~/.cache/smelt/derived}.
 */
final class BuiltinCache {
    /** Bump when what {@link OnnxBertLoader} derives changes, so that older folders are not read. */
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root; // null: caching disabled

    BuiltinCache(Path root) {
        this.root = root;
    }

    static BuiltinCache fromEnvironment(Map<String, String> env) {
        String explicit = env.get("SMELT_DERIVED_CACHE");
        if (explicit != null && !explicit.isBlank()) {
            return new BuiltinCache(explicit.equalsIgnoreCase("off") ? null : Path.of(explicit));
        }
        String models = env.get("SMELT_CACHE");
        if (models != null && !models.isBlank()) {
            return new BuiltinCache(Path.of(models, ".derived"));
        }
        return new BuiltinCache(Path.of(System.getProperty("user.home"), ".cache", "smelt", "derived"));
    }

    /** The folder for this content of {@code b}, or null when caching is off or the resources are not in a jar. */
    Path folder(Embedders.Builtin b) throws IOException {
        if (root == null) {
            return null;
        }
        String onnx = key(b.onnx());
        String tok = key(b.tokenizer());
        return onnx == null || tok == null ? null : root.resolve(b.name() + "-" + onnx + "-" + tok + "-v" + FORMAT);
    }

    /** The cached embedder, or null when there is none (or it was unreadable and has been removed). */
    BertEmbedder open(Embedders.Builtin b, Path folder, int threads) {
        if (folder == null || !Files.isRegularFile(folder.resolve("model.safetensors"))) {
            return null;
        }
        try {
            Path tokPath = folder.resolve("tokenizer.json");
            int truncation = Embedders.truncation(tokPath);
            BertWeights w = SafetensorsBertLoader.load(folder, b.pooling(), b.normalize(), truncation);
            return new BertEmbedder(b.name(), Tokenizers.fromHuggingFace(tokPath, null), w,
                    new dev.smelt.tensor.ThreadPool(threads), true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(folder); // damaged by something outside smelt: the caller rebuilds it
            return null;
        }
    }

    /**
     * Writes the folder for {@code b}: best effort, a cache that cannot be written (read-only home, full disk)
     * only costs the next start its time.
     *
     * @param tensors Hugging Face name → values, as {@link OnnxBertLoader} derived them
     */
    void store(Path folder, BertConfig c, Map<String, float[]> tensors, Path tokenizerJson) {
        if (folder == null || Files.isDirectory(folder)) {
            return;
        }
        Path tmp = folder.resolveSibling(folder.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            ObjectNode cfg = JSON.createObjectNode().put("model_type", "bert").put("hidden_act", "gelu")
                    .put("vocab_size", c.vocab()).put("hidden_size", c.hidden()).put("num_hidden_layers", c.layers())
                    .put("num_attention_heads", c.heads()).put("intermediate_size", c.intermediate())
                    .put("max_position_embeddings", c.maxPositions()).put("type_vocab_size", c.typeVocab())
                    .put("layer_norm_eps", (double) c.layerNormEps());
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("config.json").toFile(), cfg);
            SafetensorsWriter st = new SafetensorsWriter().metadata("smelt.derived_from", "built-in " + c.vocab() + "-word "
                    + "encoder (shapes flattened; config.json gives them)");
            for (Map.Entry<String, float[]> e : new java.util.TreeMap<>(tensors).entrySet()) {
                st.f32(e.getKey(), new long[] {e.getValue().length}, e.getValue());
            }
            st.write(tmp.resolve("model.safetensors"));
            Files.copy(tokenizerJson, tmp.resolve("tokenizer.json"));
            Files.move(tmp, folder, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // another process renamed its copy first, or the disk refused: either way the cache is optional
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** The jar directory's CRC-32 and size of a classpath resource, or null when it is not in a jar. */
    private static String key(String resource) throws IOException {
        URL u = BuiltinCache.class.getClassLoader().getResource(resource);
        if (u == null) {
            return null;
        }
        URLConnection c = u.openConnection();
        if (!(c instanceof JarURLConnection j)) {
            return null;
        }
        JarEntry e = j.getJarEntry();
        return e.getCrc() < 0 || e.getSize() < 0 ? null : String.format(Locale.ROOT, "%08x%x", e.getCrc(), e.getSize());
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // left for the next start to overwrite
        }
    }
}
