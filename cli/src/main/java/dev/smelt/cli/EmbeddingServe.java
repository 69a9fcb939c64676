package dev.smelt.cli;

import dev.smelt.model.encoder.Embedders;
import dev.smelt.server.EmbeddingModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** How {@code smelt serve} tells embedding models from GGUF models and opens them. Stateless. */
final class EmbeddingServe {
    private EmbeddingServe() {
    }

    /** The embedder reference (built-in name or path) when {@code ref} names one, else null. */
    static String embedderRef(Path ref) {
        String s = ref.toString();
        if (Embedders.builtinName(s) != null) {
            return Embedders.builtinName(s);
        }
        if (s.endsWith(".onnx") || Files.isDirectory(ref) && Files.isRegularFile(ref.resolve("config.json"))
                || dev.smelt.model.encoder.GgufBertLoader.isBert(ref)) {
            return s;
        }
        return null;
    }

    static String servedName(String ref) {
        return Embedders.builtinName(ref) != null ? ref : Path.of(ref).getFileName().toString().replaceFirst("\\.(onnx|gguf)$", "");
    }

    static EmbeddingModels models(Map<String, String> served, int threads) {
        return new EmbeddingModels(new ArrayList<>(served.keySet()), name -> Embedders.open(served.get(name), threads));
    }

    static List<String> all(Collection<String> a, Collection<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
