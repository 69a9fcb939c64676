// Load client for a router in front of a replica pool (bench/pool-load.sh): C concurrent clients send R
// streamed chat completions each; prompts are TENANTS long shared prefixes (system prompts) followed by a
// short question, so prefix affinity has something to keep together. Reports requests/s, decode tokens/s,
// time to first token p50/p90 and failed requests as one JSON line. A request fails when its status is not
// 200, its stream carries an error or a restart, or it does not end with [DONE].
// Run: java bench/PoolLoad.java BASE_URL CLIENTS REQUESTS_PER_CLIENT TENANTS MAX_TOKENS
// Shared client code (loopback check, client threads, percentiles): bench/LoadClient.java.
import java.io.BufferedReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
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
        LoadClient client = new LoadClient(args[0]);
        int clients = Integer.parseInt(args[1]);
        int perClient = Integer.parseInt(args[2]);
        int tenants = Integer.parseInt(args[3]);
        int maxTokens = Integer.parseInt(args[4]);
        List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
        AtomicLong chunks = new AtomicLong();
        AtomicInteger failed = new AtomicInteger();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        double secs = LoadClient.run(clients, perClient, (id, r) -> {
            int tenant = (id * 7 + r * 3) % tenants;
            String p = one(client, prefix(tenant), "Question " + id + "." + r + ": where is my order?", maxTokens, ttft, chunks);
            if (p != null) {
                failed.incrementAndGet();
                problems.add(p);
            }
        }, e -> {
            failed.incrementAndGet();
            problems.add(e.toString());
        });
        List<Long> s = LoadClient.sorted(ttft);
        int n = clients * perClient;
        System.out.printf(Locale.ROOT, "{\"clients\":%d,\"requests\":%d,\"failed\":%d,\"seconds\":%.2f,\"requests_per_s\":%.2f,"
                        + "\"chunks_per_s\":%.1f,\"ttft_p50_ms\":%.1f,\"ttft_p90_ms\":%.1f,\"first_problem\":\"%s\"}%n",
                clients, n, failed.get(), secs, n / secs, chunks.get() / secs, LoadClient.pct(s, 0.5), LoadClient.pct(s, 0.9),
                problems.isEmpty() ? "" : problems.get(0).replace("\"", "'").replace("\n", " "));
    }

    /** One streamed request; null when it succeeded, else what went wrong (a status other than 200 throws). */
    static String one(LoadClient client, String system, String question, int maxTokens, List<Long> ttft, AtomicLong chunks)
            throws Exception {
        String body = "{\"stream\":true,\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"messages\":[{\"role\":\"system\",\"content\":"
                + LoadClient.q(system) + "},{\"role\":\"user\",\"content\":" + LoadClient.q(question) + "}]}";
        long start = System.nanoTime();
        try (BufferedReader in = client.postStream("/v1/chat/completions", body)) {
            boolean first = true;
            for (String d; (d = LoadClient.nextData(in)) != null; ) {
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
