// Narrow-task load benchmark for an OpenAI-compatible server (smelt serve, llama-server): C concurrent clients, each
// sending R sequential non-streaming /v1/chat/completions requests that classify a Banking77 test sentence into one
// of the 77 labels, with a shared few-shot system prompt and response_format json_schema {"label": enum of labels}
// at temperature 0. Reports requests/s, latency p50/p95, errors and answers that are not one valid label, as one
// JSON line. Loopback only. Shared client code: bench/LoadClient.java.
// Run: java bench/NarrowLoad.java BASE_URL MODEL CLIENTS REQUESTS_PER_CLIENT BANKING77_DIR [smelt|llama]
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class NarrowLoad {
    /** Few-shot examples in the system prompt: with the instructions and the 77 labels, about 470 Qwen3 tokens. */
    static final int SHOTS = 2;
    static final Pattern CONTENT = Pattern.compile("\"content\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    static final Pattern LABEL = Pattern.compile("^\\s*\\{\\s*\"label\"\\s*:\\s*\"([^\"]+)\"\\s*\\}\\s*$");

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: java bench/NarrowLoad.java BASE_URL MODEL CLIENTS REQUESTS_PER_CLIENT BANKING77_DIR [smelt|llama]");
            System.exit(2);
        }
        LoadClient client = new LoadClient(args[0]);
        String model = args[1];
        int clients = Integer.parseInt(args[2]);
        int perClient = Integer.parseInt(args[3]);
        Path data = Path.of(args[4]);
        boolean llama = args.length > 5 && args[5].equals("llama");
        List<String> labels = jsonStrings(Files.readString(data.resolve("categories.json")));
        List<String[]> test = csv(data.resolve("test.csv"));
        List<String[]> train = csv(data.resolve("train.csv"));
        String system = systemPrompt(labels, train);
        String schema = "{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\",\"enum\":[" + String.join(",", labels.stream().map(LoadClient::q).toList())
                + "]}},\"required\":[\"label\"],\"additionalProperties\":false}";
        List<Long> latency = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger invalid = new AtomicInteger();
        AtomicInteger correct = new AtomicInteger();
        double wall = LoadClient.run(clients, perClient, (id, r) -> {
            String[] row = test.get((id * 97 + r * 13) % test.size());
            String body = "{\"model\":" + LoadClient.q(model) + ",\"temperature\":0,\"max_tokens\":32,\"messages\":[{\"role\":\"system\",\"content\":" + LoadClient.q(system)
                    + "},{\"role\":\"user\",\"content\":" + LoadClient.q(row[0]) + "}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                    + "{\"name\":\"label\",\"strict\":true,\"schema\":" + schema + "}}" + (llama ? ",\"cache_prompt\":true" : "") + "}";
            long start = System.nanoTime();
            HttpResponse<String> resp = client.post("/v1/chat/completions", body, HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + resp.statusCode() + ": " + resp.body());
            }
            latency.add(System.nanoTime() - start);
            Matcher m = CONTENT.matcher(resp.body());
            Matcher l = m.find() ? LABEL.matcher(unescape(m.group(1))) : null;
            if (l == null || !l.find() || !labels.contains(l.group(1))) {
                invalid.incrementAndGet();
            } else if (l.group(1).equals(row[1])) {
                correct.incrementAndGet();
            }
        }, e -> {
            errors.incrementAndGet();
            System.err.println("request failed: " + e);
        });
        List<Long> sorted = LoadClient.sorted(latency);
        System.out.printf(Locale.ROOT, "{\"clients\":%d,\"requests\":%d,\"wall_s\":%.2f,\"requests_per_s\":%.3f,\"latency_p50_ms\":%.0f,"
                        + "\"latency_p95_ms\":%.0f,\"errors\":%d,\"invalid\":%d,\"correct\":%d,\"system_prompt_chars\":%d}%n", clients, clients * perClient, wall,
                latency.size() / wall, LoadClient.pct(sorted, 0.50), LoadClient.pct(sorted, 0.95), errors.get(), invalid.get(), correct.get(), system.length());
    }

    static String systemPrompt(List<String> labels, List<String[]> train) {
        StringBuilder b = new StringBuilder("You classify messages sent to a bank's customer support into exactly one intent label. "
                + "Answer with a JSON object {\"label\": LABEL} and nothing else. The labels are: ");
        b.append(String.join(", ", labels)).append(".\nExamples:\n");
        for (int i = 0; i < SHOTS; i++) {
            String[] ex = train.get(i * (train.size() / SHOTS));
            b.append("Message: ").append(ex[0]).append("\nAnswer: {\"label\": \"").append(ex[1]).append("\"}\n");
        }
        return b.toString();
    }

    /** A JSON string's content without its escapes. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> b.append(e);
            }
        }
        return b.toString();
    }

    /** The strings of a flat JSON array. */
    static List<String> jsonStrings(String json) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** text,category rows of a CSV with quoted fields ("" escapes a quote); the header is skipped. */
    static List<String[]> csv(Path p) throws Exception {
        List<String[]> rows = new ArrayList<>();
        String s = Files.readString(p);
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < s.length() && s.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    f.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(f.toString());
                f.setLength(0);
            } else if (c == '\n') {
                fields.add(f.toString());
                f.setLength(0);
                rows.add(fields.toArray(String[]::new));
                fields.clear();
            } else if (c != '\r') {
                f.append(c);
            }
        }
        if (f.length() > 0 || !fields.isEmpty()) {
            fields.add(f.toString());
            rows.add(fields.toArray(String[]::new));
        }
        return rows.subList(1, rows.size());
    }
}
