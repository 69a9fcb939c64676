package dev.smelt.model.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against a local HTTP server that behaves like (and misbehaves unlike) Hugging Face. */
class ModelDownloaderTest {
    private static final byte[] BODY = new byte[300_000];
    private static String sha;
    private HttpServer server;
    private URI base;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile boolean dropFirst;
    private volatile boolean ignoreRange;
    private volatile String badSha;

    @TempDir
    Path cache;

    @BeforeEach
    void start() throws Exception {
        new Random(1).nextBytes(BODY);
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BODY));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            int n = requests.incrementAndGet();
            String path = ex.getRequestURI().getPath();
            if (!path.equals("/acme/tiny/resolve/main/model.gguf")) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = range != null && !ignoreRange ? Integer.parseInt(range.replaceAll("[^0-9]", "")) : 0;
            ex.getResponseHeaders().add("X-Linked-Size", Integer.toString(BODY.length));
            ex.getResponseHeaders().add("X-Linked-ETag", "\"" + (badSha != null ? badSha : sha) + "\"");
            if (from > 0) {
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (BODY.length - 1) + "/" + BODY.length);
            }
            ex.sendResponseHeaders(from > 0 ? 206 : 200, BODY.length - from);
            try (OutputStream out = ex.getResponseBody()) {
                if (dropFirst && n == 1) {
                    out.write(BODY, from, 100_000); // then the connection drops
                    out.flush();
                    ex.getHttpContext().getServer();
                    throw new java.io.IOException("simulated drop");
                }
                out.write(BODY, from, BODY.length - from);
            }
        });
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ModelDownloader downloader(boolean offline) {
        return new ModelDownloader(HttpClient.newHttpClient(), base, cache, offline, null);
    }

    @Test
    void downloadsChecksAndCaches() throws Exception {
        long[] last = {0};
        Path p = downloader(false).resolve("hf:acme/tiny/model.gguf", (done, total) -> last[0] = done);
        assertThat(Files.readAllBytes(p)).isEqualTo(BODY);
        assertThat(last[0]).isEqualTo(BODY.length);
        assertThat(downloader(true).resolve("hf:acme/tiny/model.gguf", null)).isEqualTo(p); // offline hit
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void resumesAfterADroppedConnection() throws Exception {
        dropFirst = true;
        assertThatThrownBy(() -> downloader(false).resolve("hf:acme/tiny/model.gguf", null)).isInstanceOf(java.io.IOException.class);
        Path part = cache.resolve("acme/tiny/main/model.gguf.part");
        assertThat(Files.exists(part)).isTrue();
        assertThat(Files.size(part)).isBetween(1L, (long) BODY.length - 1);
        Path p = downloader(false).resolve("hf:acme/tiny/model.gguf", null);
        assertThat(Files.readAllBytes(p)).isEqualTo(BODY);
    }

    @Test
    void serverIgnoringRangeRestartsCleanly() throws Exception {
        Path part = cache.resolve("acme/tiny/main/model.gguf.part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(BODY, 5000));
        ignoreRange = true;
        assertThat(Files.readAllBytes(downloader(false).resolve("hf:acme/tiny/model.gguf", null))).isEqualTo(BODY);
    }

    @Test
    void checksumMismatchKeepsNothing() {
        badSha = "0".repeat(64);
        assertThatThrownBy(() -> downloader(false).resolve("hf:acme/tiny/model.gguf", null)).hasMessageContaining("SHA-256 mismatch");
        assertThat(Files.exists(cache.resolve("acme/tiny/main/model.gguf"))).isFalse();
        assertThat(Files.exists(cache.resolve("acme/tiny/main/model.gguf.part"))).isFalse();
    }

    @Test
    void notFoundOfflineMissAndBadReferences() {
        assertThatThrownBy(() -> downloader(false).resolve("hf:acme/tiny/other.gguf", null)).hasMessageContaining("HTTP 404")
                .hasMessageContaining("/acme/tiny/resolve/main/other.gguf");
        assertThatThrownBy(() -> downloader(true).resolve("hf:acme/tiny/model.gguf", null)).hasMessageContaining("offline mode");
        assertThatThrownBy(() -> downloader(false).resolve("hf:nope", null)).hasMessageContaining("hf:OWNER/REPO/FILE");
        assertThatThrownBy(() -> downloader(false).resolve("hf:a/b/../../etc/passwd", null)).hasMessageContaining("..");
    }
}
