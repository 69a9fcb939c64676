// What the HTTP load clients of bench/ (ServeLoad, NarrowLoad, PoolLoad) share: the loopback check, one HTTP client,
// C concurrent clients each running R sequential requests, POSTs (buffered or streamed as server-sent events),
// nearest-rank percentiles and JSON string quoting. The clients are run as source files (`java bench/ServeLoad.java`);
// the launcher (JDK 22+, multi-file source programs) compiles this file from the same directory when they name it.
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Shared load-client plumbing; the HTTP client is thread-safe, so all client threads share one instance. */
final class LoadClient {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);

    final String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();

    /** A client of the server at {@code base}; it refuses anything but loopback, so a benchmark never loads a real host. */
    LoadClient(String base) {
        if (!URI.create(base).getHost().matches("127\\.0\\.0\\.1|localhost|::1")) {
            throw new IllegalArgumentException("loopback only: " + base);
        }
        this.base = base;
    }

    /** One request of one client: {@code client} in [0, clients), {@code request} in [0, requests per client). */
    interface Request {
        void run(int client, int request) throws Exception;
    }

    /** What a request that threw is counted as, by each load client its own way. */
    interface Failure {
        void failed(Exception e);
    }

    /** Runs {@code clients} threads, each sending {@code perClient} requests in order; returns the wall seconds. */
    static double run(int clients, int perClient, Request request, Failure failure) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = c;
                fs.add(pool.submit(() -> {
                    for (int r = 0; r < perClient; r++) {
                        try {
                            request.run(id, r);
                        } catch (Exception e) {
                            failure.failed(e);
                        }
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdown();
        }
    }

    /** A JSON POST of {@code body} to {@code path} (e.g. /v1/completions), answered as {@code handler} reads it. */
    <T> HttpResponse<T> post(String path, String body, HttpResponse.BodyHandler<T> handler) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .timeout(REQUEST_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(body)).build(), handler);
    }

    /** A streamed POST whose status must be 200; the body is read as server-sent events. */
    BufferedReader postStream(String path, String body) throws Exception {
        HttpResponse<InputStream> r = post(path, body, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        return new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
    }

    /** The payload of the next `data: ` line of a server-sent event stream, or null at its end. */
    static String nextData(BufferedReader in) throws Exception {
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("data: ")) {
                return line.substring(6);
            }
        }
        return null;
    }

    /** Nanosecond samples, in any order, sorted for {@link #pct}. */
    static List<Long> sorted(List<Long> samples) {
        List<Long> s = new ArrayList<>(samples);
        Collections.sort(s);
        return s;
    }

    /** The nearest-rank {@code p} percentile of sorted nanoseconds, in milliseconds; NaN when there are none. */
    static double pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1);
        return sorted.get(Math.max(0, i)) / 1e6;
    }

    /** {@code s} as a JSON string literal, quotes included. */
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
