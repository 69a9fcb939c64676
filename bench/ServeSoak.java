// Soak test for smelt serve: for DURATION seconds, CLIENTS workers send a random mix of requests
// (OpenAI chat and completions, streaming and not, json_schema, forced tool calls, Ollama generate)
// and randomly drop streams mid-way (client disconnects). At the end it waits for the server to go
// idle and reports requests by outcome, slots still in use, queue depth and heap use from /metrics
// (start vs end) as one JSON line. Loopback only; fixed seed.
// Run: java bench/ServeSoak.java http://127.0.0.1:PORT MODEL DURATION_S CLIENTS [SEED]
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class ServeSoak {
    static final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        String base = args[0];
        if (!URI.create(base).getHost().matches("127\\.0\\.0\\.1|localhost|::1")) {
            throw new IllegalArgumentException("loopback only: " + base);
        }
        String model = args[1];
        long durationMs = Long.parseLong(args[2]) * 1000;
        int clients = Integer.parseInt(args[3]);
        long seed = args.length > 4 ? Long.parseLong(args[4]) : 42;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        double heapStart = metric(http, base, "jvm_memory_used_bytes\\{area=\"heap\"", true);
        long end = System.currentTimeMillis() + durationMs;
        Thread[] ts = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            Random rnd = new Random(seed + c);
            ts[c] = Thread.ofPlatform().start(() -> {
                while (System.currentTimeMillis() < end) {
                    try {
                        one(http, base, model, rnd);
                    } catch (Exception e) {
                        count("exception:" + e.getClass().getSimpleName());
                    }
                }
            });
        }
        for (Thread t : ts) {
            t.join();
        }
        long idleDeadline = System.currentTimeMillis() + 30_000;
        double active;
        do {
            Thread.sleep(200);
            active = metric(http, base, "smelt_requests_active", false);
        } while (active > 0 && System.currentTimeMillis() < idleDeadline);
        double queue = metric(http, base, "smelt_queue_depth", false);
        double heapEnd = metric(http, base, "jvm_memory_used_bytes\\{area=\"heap\"", true);
        StringBuilder o = new StringBuilder();
        outcomes.forEach((k, v) -> o.append(o.isEmpty() ? "" : ",").append('"').append(k).append("\":").append(v.get()));
        System.out.printf(Locale.ROOT, "{\"duration_s\":%d,\"clients\":%d,\"outcomes\":{%s},\"slots_in_use_at_end\":%.0f,"
                + "\"queue_depth_at_end\":%.0f,\"heap_used_mb_start\":%.1f,\"heap_used_mb_end\":%.1f}%n", durationMs / 1000, clients, o,
                active, queue, heapStart / 1e6, heapEnd / 1e6);
    }

    static void count(String k) {
        outcomes.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
    }

    static void one(HttpClient http, String base, String model, Random rnd) throws Exception {
        int kind = rnd.nextInt(6);
        int max = 8 + rnd.nextInt(56);
        boolean stream = rnd.nextBoolean();
        String user = "{\"role\":\"user\",\"content\":\"Tell me about item " + rnd.nextInt(1000) + "\"}";
        String path;
        String body;
        switch (kind) {
            case 0 -> {
                path = "/v1/completions";
                body = "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time " + rnd.nextInt(100) + "\",\"max_tokens\":" + max
                        + ",\"stream\":" + stream + "}";
            }
            case 1 -> {
                path = "/v1/chat/completions";
                body = "{\"model\":\"" + model + "\",\"messages\":[" + user + "],\"max_tokens\":" + max + ",\"stream\":" + stream
                        + ",\"n\":" + (1 + rnd.nextInt(2)) + "}";
            }
            case 2 -> {
                path = "/v1/chat/completions";
                body = "{\"model\":\"" + model + "\",\"messages\":[" + user + "],\"max_tokens\":" + max + ",\"stream\":" + stream
                        + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\",\"schema\":{\"type\":\"object\","
                        + "\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}}}}";
            }
            case 3 -> {
                path = "/v1/chat/completions";
                body = "{\"model\":\"" + model + "\",\"messages\":[" + user + "],\"max_tokens\":" + (max + 40) + ",\"stream\":" + stream
                        + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\","
                        + "\"properties\":{\"x\":{\"enum\":[\"a\",\"b\"]}},\"required\":[\"x\"]}}}],\"tool_choice\":\"required\"}";
            }
            case 4 -> {
                path = "/api/generate";
                body = "{\"model\":\"" + model + "\",\"prompt\":\"Hello " + rnd.nextInt(100) + "\",\"stream\":" + stream
                        + ",\"options\":{\"num_predict\":" + max + "}}";
            }
            default -> {
                path = "/v1/completions"; // a bad request now and then: must be a clean 4xx
                body = "{\"model\":\"" + model + "\",\"prompt\":\"x\",\"max_tokens\":-" + max + "}";
            }
        }
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (stream && r.statusCode() == 200 && rnd.nextInt(4) == 0) {
                byte[] buf = new byte[64 + rnd.nextInt(512)];
                in.readNBytes(buf, 0, buf.length); // read a little, then hang up
                count("disconnected");
                return;
            }
            byte[] all = in.readAllBytes();
            String s = new String(all, StandardCharsets.UTF_8);
            if (r.statusCode() == 200 && (s.contains("\"error\"") && !s.contains("\"tool_calls\""))) {
                count("200_with_error");
            } else {
                count(Integer.toString(r.statusCode()));
            }
        }
    }

    static double metric(HttpClient http, String base, String regex, boolean sum) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + regex + "[^ ]* ([0-9.eE+-]+)$").matcher(text);
        double total = 0;
        boolean found = false;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
            found = true;
            if (!sum) {
                break;
            }
        }
        return found ? total : Double.NaN;
    }
}
