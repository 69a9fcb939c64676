// Soak test for smelt serve: for DURATION seconds, CLIENTS workers send a random mix of requests
// (OpenAI chat and completions, streaming and not, json_schema, forced tool calls, Ollama generate,
// and requests from a malformed corpus: wrong types, max_tokens 2^31-1, token ids outside the
// vocabulary, invalid UTF-8, text/plain bodies, unknown fields, deep nesting), checks /health now and
// then, and randomly drops streams mid-way (client disconnects). At the end it waits for the server to go
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
        double oldStart = metric(http, base, "jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]*Old[^\"]*\"", true);
        long end = System.currentTimeMillis() + durationMs;
        // live heap after each GC, sampled every 30 s: flat over the run means no leak
        StringBuilder liveSeries = new StringBuilder();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (System.currentTimeMillis() < end) {
                try {
                    Thread.sleep(30_000);
                    double l = metric(http, base, "jvm_gc_live_data_size_bytes", false);
                    double stall = metric(http, base, "smelt_engine_stalled_seconds", false);
                    synchronized (liveSeries) {
                        liveSeries.append(liveSeries.isEmpty() ? "" : ",").append(String.format(Locale.ROOT, "%.1f", l / 1e6));
                    }
                    if (stall >= 30) {
                        count("engine_stalled_30s");
                    }
                } catch (Exception e) {
                    count("sampler_" + e.getClass().getSimpleName());
                }
            }
        });
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
        double oldStart0 = oldStart;
        double oldEnd = metric(http, base, "jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]*Old[^\"]*\"", true);
        double live = metric(http, base, "jvm_gc_live_data_size_bytes", false);
        double unhealthy = metric(http, base, "smelt_engines_unhealthy", false);
        double failedRequests = metric(http, base, "smelt_engine_failed_requests_total", false);
        int healthEnd = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        sampler.join();
        StringBuilder o = new StringBuilder();
        outcomes.forEach((k, v) -> o.append(o.isEmpty() ? "" : ",").append('"').append(k).append("\":").append(v.get()));
        System.out.printf(Locale.ROOT, "{\"duration_s\":%d,\"clients\":%d,\"outcomes\":{%s},\"slots_in_use_at_end\":%.0f,"
                + "\"queue_depth_at_end\":%.0f,\"heap_used_mb_start\":%.1f,\"heap_used_mb_end\":%.1f,\"old_gen_mb_start\":%.1f,"
                + "\"old_gen_mb_end\":%.1f,\"live_after_last_gc_mb\":%.1f,\"live_after_gc_mb_every_30s\":[%s],"
                + "\"engines_unhealthy_at_end\":%.0f,\"engine_failed_requests\":%.0f,\"health_at_end\":%d}%n", durationMs / 1000, clients, o,
                active, queue, heapStart / 1e6, heapEnd / 1e6, oldStart0 / 1e6, oldEnd / 1e6, live / 1e6, liveSeries,
                unhealthy, failedRequests, healthEnd);
    }

    static void count(String k) {
        outcomes.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
    }

    static void one(HttpClient http, String base, String model, Random rnd) throws Exception {
        if (rnd.nextInt(20) == 0) {
            HttpResponse<String> h = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
            count("health_" + h.statusCode());
        }
        int kind = rnd.nextInt(9);
        if (kind >= 7) {
            malformed(http, base, model, rnd);
            return;
        }
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
            case 5 -> {
                path = "/v1/chat/completions"; // structured output with non-ASCII literals: the content must be one of them
                body = "{\"model\":\"" + model + "\",\"messages\":[" + user + "],\"max_tokens\":" + (max + 16) + ",\"stream\":false"
                        + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\",\"schema\":"
                        + "{\"enum\":[\"中\",\"😀\",\"é\"]}}}}";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                boolean one = false;
                for (String v : new String[] {"中", "😀", "é"}) {
                    one |= r.body().contains("\"content\":\"\\\"" + v + "\\\"\"");
                }
                count(r.statusCode() != 200 ? Integer.toString(r.statusCode()) : one ? "utf8_enum_ok" : "utf8_enum_wrong");
                return;
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

    /** Bodies that must each get a clean 4xx (counted as "bad_" + status; a 5xx shows as bad_5xx). */
    static final String[] MALFORMED = {
        "{\"model\":\"M\",\"prompt\":\"x\",\"max_tokens\":2147483647}",
        "{\"model\":\"M\",\"prompt\":[1,1099511627776]}",
        "{\"model\":\"M\",\"prompt\":\"x\",\"suffix\":\"y\"}",
        "{\"model\":\"M\",\"prompt\":\"x\",\"logit_bias\":{\"999999999\":1}}",
        "{\"model\":\"M\",\"prompt\":\"x\",\"temperature\":\"hot\"}",
        "{\"model\":\"M\",\"messages\":[{\"role\":\"user\",\"content\":{\"a\":1}}]}",
        "{\"model\":\"M\",\"messages\":" + "[".repeat(3000) + "]".repeat(3000) + "}",
        "{\"model\":\"M\",\"prompt\":\"x\"}{\"model\":\"M\"}",
        "{\"model\":\"M\",\"model\":\"N\",\"prompt\":\"x\"}",
        "{\"model\":\"M\",\"prompt\":\"x\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":"
                + "{\"type\":\"string\",\"maxLength\":-5}}}}",
        "{\"model\":\"M\",\"prompt\":\"x\",\"max_tokens\":2147483647,\"stream\":true}",
    };

    static void malformed(HttpClient http, String base, String model, Random rnd) throws Exception {
        int k = rnd.nextInt(MALFORMED.length + 3);
        String path = rnd.nextBoolean() ? "/v1/completions" : "/v1/chat/completions";
        String type = "application/json";
        byte[] body;
        if (k < MALFORMED.length) {
            body = MALFORMED[k].replace("\"M\"", "\"" + model + "\"").getBytes(StandardCharsets.UTF_8);
        } else if (k == MALFORMED.length) {
            body = ("{\"model\":\"" + model + "\",\"prompt\":\"x").getBytes(StandardCharsets.UTF_8);
            body = java.util.Arrays.copyOf(body, body.length + 3);
            body[body.length - 3] = (byte) 0xC3; // a cut two-byte sequence: invalid UTF-8
            body[body.length - 2] = '"';
            body[body.length - 1] = '}';
        } else if (k == MALFORMED.length + 1) {
            type = "text/plain";
            body = ("{\"model\":\"" + model + "\",\"prompt\":\"x\"}").getBytes(StandardCharsets.UTF_8);
        } else {
            path = "/api/generate";
            body = ("{\"model\":\"" + model + "\",\"prompt\":\"x\",\"keep_alive\":1e300,\"options\":{\"mirostat\":2}}")
                    .getBytes(StandardCharsets.UTF_8);
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        count(r.statusCode() >= 500 ? "bad_5xx" : "bad_" + r.statusCode());
    }

    static double metric(HttpClient http, String base, String regex, boolean sum) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + regex + "[^\\n]* ([0-9.eE+-]+)$").matcher(text);
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
