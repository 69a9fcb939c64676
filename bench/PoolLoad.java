// Load client for a router in front of a replica pool (bench/pool-load.sh): C concurrent clients send R
// streamed chat completions each; prompts are TENANTS long shared prefixes (system prompts) followed by a
// short question, so prefix affinity has something to keep together. Reports requests/s, decode tokens/s,
// time to first token p50/p90 and failed requests as one JSON line. A request fails when its status is not
// 200, its stream carries an error or a restart, or it does not end with [DONE].
// Run: java bench/PoolLoad.java BASE_URL CLIENTS REQUESTS_PER_CLIENT TENANTS MAX_TOKENS
import java.io.BufferedReader;
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
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

public class PoolLoad {
    static String prefix(int tenant) {
        StringBuilder sb = new StringBuilder("You are the support assistant of company number " + tenant + ". ");
        String[] words = {"refund", "invoice", "shipping", "account", "password", "warranty", "delivery", "order", "card", "return"};
        for (int i = 0; sb.length() < 1500; i++) {
            sb.append("Rule ").append(i).append(": when asked about ").append(words[(i + tenant) % words.length])
                    .append(" answer politely and briefly. ");
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: java bench/PoolLoad.java BASE_URL CLIENTS REQUESTS_PER_CLIENT TENANTS MAX_TOKENS");
            System.exit(2);
        }
        String base = args[0];
        int clients = Integer.parseInt(args[1]);
        int perClient = Integer.parseInt(args[2]);
        int tenants = Integer.parseInt(args[3]);
        int maxTokens = Integer.parseInt(args[4]);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
        AtomicLong chunks = new AtomicLong();
        AtomicInteger failed = new AtomicInteger();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int id = c;
            fs.add(pool.submit(() -> {
                for (int r = 0; r < perClient; r++) {
                    int tenant = (id * 7 + r * 3) % tenants;
                    try {
                        String p = one(http, base, prefix(tenant), "Question " + id + "." + r + ": where is my order?", maxTokens, ttft, chunks);
                        if (p != null) {
                            failed.incrementAndGet();
                            problems.add(p);
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        problems.add(e.toString());
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        List<Long> s = new ArrayList<>(ttft);
        Collections.sort(s);
        int n = clients * perClient;
        System.out.printf(Locale.ROOT, "{\"clients\":%d,\"requests\":%d,\"failed\":%d,\"seconds\":%.2f,\"requests_per_s\":%.2f,"
                        + "\"chunks_per_s\":%.1f,\"ttft_p50_ms\":%.1f,\"ttft_p90_ms\":%.1f,\"first_problem\":\"%s\"}%n",
                clients, n, failed.get(), secs, n / secs, chunks.get() / secs, pct(s, 0.5), pct(s, 0.9),
                problems.isEmpty() ? "" : problems.get(0).replace("\"", "'").replace("\n", " "));
    }

    static double pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) (p * sorted.size()))) / 1e6;
    }

    /** One streamed request; null when it succeeded, else what went wrong. */
    static String one(HttpClient http, String base, String system, String question, int maxTokens, List<Long> ttft, AtomicLong chunks)
            throws Exception {
        String body = "{\"stream\":true,\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"messages\":[{\"role\":\"system\",\"content\":\""
                + system + "\"},{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            if (resp.statusCode() != 200) {
                return "HTTP " + resp.statusCode() + ": " + in.readLine();
            }
            boolean first = true;
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                String d = line.substring(6);
                if (d.equals("[DONE]")) {
                    return null;
                }
                if (d.contains("\"error\"") || d.contains("smelt_restart")) {
                    return d;
                }
                if (d.contains("\"content\"")) {
                    chunks.incrementAndGet();
                    if (first) {
                        ttft.add(System.nanoTime() - start);
                        first = false;
                    }
                }
            }
            return "stream ended before [DONE]";
        }
    }
}
