package dev.smelt.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What model listings report about a model that is not a GGUF chat model (an embedder): size, time, SHA-256
 * digest and format. The digest is computed once per file version (or packaged resource) and cached; a
 * directory (a Hugging Face BERT folder) is listed with the total size of its files and no digest.
 * Immutable; the cache is thread-safe.
 */
record FileFacts(long size, Instant modified, String digest, String format) {
    private static final Map<String, FileFacts> CACHE = new ConcurrentHashMap<>();

    static FileFacts of(Path p) throws IOException {
        String key = p.toAbsolutePath() + "|" + Files.getLastModifiedTime(p).toMillis();
        FileFacts cached = CACHE.get(key);
        if (cached != null) {
            return cached;
        }
        FileFacts f;
        if (Files.isDirectory(p)) {
            long size = 0;
            try (Stream<Path> files = Files.list(p)) {
                for (Path c : files.filter(Files::isRegularFile).toList()) {
                    size += Files.size(c);
                }
            }
            f = new FileFacts(size, Files.getLastModifiedTime(p).toInstant(), "", "safetensors");
        } else {
            String name = p.getFileName().toString();
            try (InputStream in = Files.newInputStream(p)) {
                f = new FileFacts(Files.size(p), Files.getLastModifiedTime(p).toInstant(), sha256(in),
                        name.endsWith(".gguf") ? "gguf" : name.endsWith(".onnx") ? "onnx" : "unknown");
            }
        }
        CACHE.put(key, f);
        return f;
    }

    /** A packaged resource (a built-in model's weights); {@code time} stands for its modification time. */
    static FileFacts of(URL resource, Instant time) throws IOException {
        if (resource == null) {
            return new FileFacts(0, time, "", "onnx");
        }
        FileFacts cached = CACHE.get(resource.toString());
        if (cached != null) {
            return cached;
        }
        URLConnection c = resource.openConnection();
        FileFacts f;
        try (InputStream in = c.getInputStream()) {
            f = new FileFacts(c.getContentLengthLong(), time, sha256(in), "onnx");
        }
        CACHE.put(resource.toString(), f);
        return f;
    }

    static String sha256(InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available in the JDK", e);
        }
    }
}
