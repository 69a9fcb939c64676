package dev.smelt.server;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What model listings (Ollama's /api/tags, /api/show, /api/ps) report about a GGUF file, read from
 * its header without loading weights: architecture, parameter count, dominant weight type, context
 * length, chat template, size, modification time and SHA-256 digest (computed once per file version
 * and cached). Immutable; the cache is thread-safe.
 */
record ModelInfo(String architecture, long parameters, String quantization, long contextLength, String template,
                 long size, Instant modified, String digest, Map<String, Object> metadata) {
    private static final Map<String, ModelInfo> CACHE = new ConcurrentHashMap<>();

    static ModelInfo of(Path p) throws IOException {
        String key = p.toAbsolutePath() + "|" + Files.size(p) + "|" + Files.getLastModifiedTime(p).toMillis();
        ModelInfo cached = CACHE.get(key);
        if (cached != null) {
            return cached;
        }
        ModelInfo info = read(p);
        CACHE.put(key, info);
        return info;
    }

    private static ModelInfo read(Path p) throws IOException {
        try (GgufFile f = GgufFile.open(p)) {
            long params = 0;
            Map<String, Long> bytesByType = new HashMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                params += t.elementCount();
                if (t.dims().length >= 2) {
                    bytesByType.merge(t.type().name(), t.byteSize(), Long::sum);
                }
            }
            String quant = bytesByType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("unknown");
            String arch = f.architecture();
            Map<String, Object> meta = new java.util.TreeMap<>();
            meta.put("general.architecture", arch);
            meta.put("general.parameter_count", params);
            for (var e : f.metadata().entrySet()) {
                Object v = f.get(e.getKey());
                if (v instanceof Number || v instanceof String s && s.length() < 256 || v instanceof Boolean) {
                    meta.put(e.getKey(), v);
                }
            }
            return new ModelInfo(arch, params, quant, f.getLong(arch + ".context_length", 0),
                    f.getString("tokenizer.chat_template", null), Files.size(p), Files.getLastModifiedTime(p).toInstant(), sha256(p),
                    java.util.Collections.unmodifiableMap(meta));
        }
    }

    /** "494.0M" / "1.5B", as Ollama writes parameter sizes. */
    String parameterSize() {
        return parameters >= 1_000_000_000L ? String.format(java.util.Locale.ROOT, "%.1fB", parameters / 1e9)
                : String.format(java.util.Locale.ROOT, "%.1fM", parameters / 1e6);
    }

    private static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return FileFacts.sha256(in);
        }
    }
}
