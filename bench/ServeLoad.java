// Load benchmark for an OpenAI-compatible server (smelt serve, llama-server): C concurrent streaming
// clients, each sending R sequential /v1/completions requests (~33-token prompt, 64 tokens), loopback
// only. Reports aggregate decode tokens/s, time to first token p50/p99 and errors as one JSON line.
// Run: java bench/ServeLoad.java http://127.0.0.1:PORT MODEL CLIENTS REQUESTS_PER_CLIENT [MAX_TOKENS] [WORDS_FILE]
// With WORDS_FILE (one word a line, e.g. whole-word entries of the Qwen3 vocabulary from bench/qwen3-tokenizer.sh),
// each prompt is PROMPT_WORDS words drawn from it with a seed per client and request, so prompts differ and tokenize
// as real text does (about one token a word with that tokenizer).
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class ServeLoad {
    /** Prompts of about 33 tokens for a Qwen2.5 tokenizer; each client varies the opening word so prefixes differ. */
    static final String PROMPT = "%s the quick brown fox jumps over the lazy dog while the farmer counts sheep in the green valley "
            + "near the river, and then the story continues with";
    static final String[] OPENERS = {"Once", "Today", "Later", "Meanwhile", "Suddenly", "Finally", "Yesterday", "Soon"};
    static final int PROMPT_WORDS = 32;
    static final Pattern USAGE = Pattern.compile("\"completion_tokens\"\\s*:\\s*(\\d+)");

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: java bench/ServeLoad.java BASE_URL MODEL CLIENTS REQUESTS_PER_CLIENT [MAX_TOKENS]");
            System.exit(2);
        }
        String base = args[0];
        if (!URI.create(base).getHost().matches("127\\.0\\.0\\.1|localhost|::1")) {
            throw new IllegalArgumentException("loopback only: " + base);
        }
        String model = args[1];
        int clients = Integer.parseInt(args[2]);
        int perClient = Integer.parseInt(args[3]);
        int maxTokens = args.length > 4 ? Integer.parseInt(args[4]) : 64;
        List<String> words = args.length > 5 ? java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[5])) : null;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
        AtomicLong tokens = new AtomicLong();
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int id = c;
            fs.add(pool.submit(() -> {
                for (int r = 0; r < perClient; r++) {
                    try {
                        String prompt = words == null ? String.format(PROMPT, OPENERS[(id + r) % OPENERS.length]) + " " + id + "." + r
                                : words(words, 1000L * id + r);
                        one(http, base, model, prompt, maxTokens, ttft, tokens);
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        System.err.println("request failed: " + e);
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        List<Long> sorted = new ArrayList<>(ttft);
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "{\"clients\":%d,\"requests\":%d,\"tokens\":%d,\"wall_s\":%.2f,\"tokens_per_s\":%.2f,"
                        + "\"ttft_p50_ms\":%.0f,\"ttft_p99_ms\":%.0f,\"errors\":%d}%n", clients, clients * perClient, tokens.get(), wall,
                tokens.get() / wall, pct(sorted, 0.50), pct(sorted, 0.99), errors.get());
    }

    /** PROMPT_WORDS words of {@code words}, drawn with {@code seed}: the same prompts on every server. */
    static String words(List<String> words, long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < PROMPT_WORDS; i++) {
            b.append(i == 0 ? "" : " ").append(words.get(rnd.nextInt(words.size())).strip());
        }
        return b.toString();
    }

    static double pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1);
        return sorted.get(Math.max(0, i)) / 1e6;
    }

    static void one(HttpClient http, String base, String model, String prompt, int maxTokens, List<Long> ttft, AtomicLong tokens) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"prompt\":\"" + prompt + "\",\"max_tokens\":" + maxTokens
                + ",\"temperature\":0.8,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        boolean first = true;
        long chunks = 0;
        long usage = -1;
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                if (line.equals("data: [DONE]")) {
                    done = true;
                    break;
                }
                if (line.contains("\"error\"")) {
                    throw new IllegalStateException("stream error: " + line);
                }
                Matcher m = USAGE.matcher(line);
                if (m.find()) {
                    usage = Long.parseLong(m.group(1));
                }
                if (line.contains("\"text\":\"") && !line.contains("\"text\":\"\"")) {
                    if (first) {
                        ttft.add(System.nanoTime() - start);
                        first = false;
                    }
                    chunks++;
                }
            }
        }
        if (!done) {
            throw new IllegalStateException("stream ended without [DONE]");
        }
        tokens.addAndGet(usage >= 0 ? usage : chunks);
    }
}
