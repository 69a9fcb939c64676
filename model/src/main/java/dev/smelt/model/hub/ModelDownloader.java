package dev.smelt.model.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Resolves model references: a local path, or {@code hf:OWNER/REPO/PATH.gguf[@REVISION]} downloaded
 * from Hugging Face ({@code BASE/OWNER/REPO/resolve/REVISION/PATH}) into a cache
 * ({@code $SMELT_CACHE}, else {@code ~/.cache/smelt/models}). Downloads resume from a {@code .part}
 * file with a Range request, check the size (Content-Length / X-Linked-Size) and SHA-256 (X-Linked-ETag
 * or ETag when it is a SHA-256, as Hugging Face sends for LFS files), and are renamed into place only
 * when complete. Offline mode ({@code SMELT_OFFLINE=1} or {@code HF_HUB_OFFLINE=1}) uses the cache only.
 * {@code HF_TOKEN} is sent as a bearer token. Thread-safe for distinct files.
 */
public final class ModelDownloader {
    /** Progress callback: bytes so far and total (−1 if unknown). */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);
    }

    private static final Pattern REF = Pattern.compile("hf:([^/\\s]+)/([^/\\s]+)/([^@\\s]+?)(?:@([^\\s]+))?");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final HttpClient http;
    private final URI base;
    private final Path cache;
    private final boolean offline;
    private final String token;

    public ModelDownloader(HttpClient http, URI base, Path cache, boolean offline, String token) {
        this.http = http;
        this.base = base;
        this.cache = cache;
        this.offline = offline;
        this.token = token;
    }

    /** Settings from the environment: SMELT_CACHE, SMELT_OFFLINE / HF_HUB_OFFLINE, HF_TOKEN, HF_ENDPOINT. */
    public static ModelDownloader fromEnvironment(Map<String, String> env) {
        String cacheDir = env.getOrDefault("SMELT_CACHE", System.getProperty("user.home") + "/.cache/smelt/models");
        boolean offline = "1".equals(env.get("SMELT_OFFLINE")) || "1".equals(env.get("HF_HUB_OFFLINE"));
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
        return new ModelDownloader(client, URI.create(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co")), Path.of(cacheDir),
                offline, env.get("HF_TOKEN"));
    }

    /** The same settings downloading into {@code otherCache} (the model store keeps its partial downloads in its own folder). */
    public ModelDownloader withCache(Path otherCache) {
        return new ModelDownloader(http, base, otherCache, offline, token);
    }

    /** The same settings against another hub (tests, mirrors: {@code --hub URL}). */
    public ModelDownloader withBase(URI otherBase) {
        return new ModelDownloader(http, otherBase, cache, offline, token);
    }

    public static boolean isRemote(String ref) {
        return ref.startsWith("hf:");
    }

    /** A local file for {@code ref}, downloading it first when needed. */
    public Path resolve(String ref, Progress progress) throws IOException, InterruptedException {
        if (!isRemote(ref)) {
            return Path.of(ref);
        }
        var m = REF.matcher(ref);
        if (!m.matches()) {
            throw new IllegalArgumentException("model reference '" + ref + "' is not hf:OWNER/REPO/FILE[@REVISION]");
        }
        String owner = m.group(1);
        String repo = m.group(2);
        String file = m.group(3);
        String revision = m.group(4) == null ? "main" : m.group(4);
        if (file.contains("..")) {
            throw new IllegalArgumentException("model reference '" + ref + "' must not contain '..'");
        }
        Path target = cache.resolve(owner).resolve(repo).resolve(revision).resolve(file);
        if (Files.isRegularFile(target)) {
            return target;
        }
        if (offline) {
            throw new IOException("offline mode: " + ref + " is not in the cache (" + target + "); unset SMELT_OFFLINE/HF_HUB_OFFLINE to download");
        }
        URI url = URI.create(base.toString().replaceAll("/+$", "") + "/" + owner + "/" + repo + "/resolve/" + revision + "/" + file);
        download(url, target, progress);
        return target;
    }

    private void download(URI url, Path target, Progress progress) throws IOException, InterruptedException {
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpRequest.Builder rb = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).GET();
        if (token != null && !token.isBlank()) {
            rb.header("Authorization", "Bearer " + token);
        }
        if (have > 0) {
            rb.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r;
        try {
            r = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IOException(url + ": request failed: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName())
                    + " (no network? SMELT_OFFLINE=1 uses the cache only)", e);
        }
        int status = r.statusCode();
        if (status == 401 || status == 403) {
            drain(r);
            throw new IOException(url + ": HTTP " + status + " (gated or private: set HF_TOKEN to a token with access)");
        }
        if (status == 404) {
            drain(r);
            throw new IOException(url + ": HTTP 404 (no such repository, file or revision)");
        }
        if (status == 416) { // the .part file is already complete
            drain(r);
        } else if (status != 200 && status != 206) {
            drain(r);
            throw new IOException(url + ": HTTP " + status);
        }
        boolean append = status == 206;
        long total = expectedSize(r, append ? have : 0);
        String sha = expectedSha(r);
        if (status != 416) {
            long done = append ? have : 0;
            try (InputStream in = r.body();
                 OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, append ? StandardOpenOption.APPEND
                         : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    done += n;
                    if (progress != null) {
                        progress.update(done, total);
                    }
                }
            }
        }
        long size = Files.size(part);
        if (total >= 0 && size != total) {
            throw new IOException(url + ": download incomplete: " + size + " of " + total + " bytes (run again to resume)");
        }
        if (sha != null) {
            String got = sha256(part);
            if (!got.equals(sha)) {
                Files.delete(part);
                throw new IOException(url + ": SHA-256 mismatch: expected " + sha + ", got " + got + " (the partial file was removed)");
            }
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void drain(HttpResponse<InputStream> r) throws IOException {
        try (InputStream in = r.body()) {
            in.readAllBytes();
        }
    }

    private static long expectedSize(HttpResponse<?> r, long offset) {
        var linked = r.headers().firstValue("X-Linked-Size");
        if (linked.isPresent()) {
            return Long.parseLong(linked.get().trim());
        }
        var range = r.headers().firstValue("Content-Range");
        if (range.isPresent() && range.get().contains("/") && !range.get().endsWith("*")) {
            return Long.parseLong(range.get().substring(range.get().lastIndexOf('/') + 1).trim());
        }
        return r.headers().firstValueAsLong("Content-Length").stream().map(l -> l + offset).findFirst().orElse(-1L);
    }

    private static String expectedSha(HttpResponse<?> r) {
        for (String h : new String[] {"X-Linked-ETag", "ETag"}) {
            var v = r.headers().firstValue(h);
            if (v.isPresent()) {
                String e = v.get().replace("\"", "").replace("W/", "").trim().toLowerCase();
                if (SHA256.matcher(e).matches()) {
                    return e;
                }
            }
        }
        return null;
    }

    static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
