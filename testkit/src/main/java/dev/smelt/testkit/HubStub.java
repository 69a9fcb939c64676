package dev.smelt.testkit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the Hugging Face hub in tests (no network): serves files at
 * {@code /OWNER/REPO/resolve/REV/FILE} with Hugging Face's headers ({@code X-Linked-Size}, {@code X-Linked-ETag}
 * = SHA-256), honours {@code Range}, and can misbehave on purpose: drop the connection part-way through the
 * next response, or announce a wrong SHA-256. Thread-safe; close stops it.
 */
public final class HubStub implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger rangeRequests = new AtomicInteger();
    private volatile long dropAfter = -1;
    private volatile String wrongSha;

    public HubStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            byte[] body = files.get(ex.getRequestURI().getPath());
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
            if (from > 0) {
                rangeRequests.incrementAndGet();
            }
            ex.getResponseHeaders().add("X-Linked-Size", Integer.toString(body.length));
            ex.getResponseHeaders().add("X-Linked-ETag", "\"" + (wrongSha != null ? wrongSha : sha256(body)) + "\"");
            if (from > 0) {
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            }
            ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length - from);
            long drop = dropAfter;
            dropAfter = -1;
            try (OutputStream out = ex.getResponseBody()) {
                if (drop >= 0) {
                    out.write(body, from, (int) Math.min(drop, body.length - from));
                    out.flush();
                    throw new IOException("HubStub: connection dropped on purpose");
                }
                out.write(body, from, body.length - from);
            }
        });
        server.start();
    }

    /** Serves {@code bytes} as {@code hf:OWNER/REPO/FILE} at revision {@code main}. */
    public HubStub put(String ownerRepo, String file, byte[] bytes) {
        files.put("/" + ownerRepo + "/resolve/main/" + file, bytes.clone());
        return this;
    }

    /** The next response stops after {@code bytes} bytes of body. */
    public void dropNextAfter(long bytes) {
        dropAfter = bytes;
    }

    /** Announce {@code sha} instead of the files' SHA-256 (null: the true one). */
    public void announceSha(String sha) {
        wrongSha = sha;
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public int requests() {
        return requests.get();
    }

    /** Requests that asked to resume ({@code Range} from a non-zero offset). */
    public int resumed() {
        return rangeRequests.get();
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
