// Load benchmark for an OpenAI-compatible server (smelt serve, llama-server): C concurrent streaming
// clients, each sending R sequential /v1/completions requests (~33-token prompt, 64 tokens), loopback
// only. Reports aggregate decode tokens/s, time to first token p50/p99 and errors as one JSON line.
// Run: java bench/ServeLoad.java http://127.0.0.1:PORT MODEL CLIENTS REQUESTS_PER_CLIENT [MAX_TOKENS] [WORDS_FILE]
// With WORDS_FILE (one word a line, e.g. whole-word entries of the Qwen3 vocabulary from bench/qwen3-tokenizer.sh),
// each prompt is PROMPT_WORDS words drawn from it with a seed per client and request, so prompts differ and tokenize
// as real text does (about one token a word with that tokenizer). Shared client code: bench/LoadClient.java.
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
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
        LoadClient client = new LoadClient(args[0]);
        String model = args[1];
        int clients = Integer.parseInt(args[2]);
        int perClient = Integer.parseInt(args[3]);
        int maxTokens = args.length > 4 ? Integer.parseInt(args[4]) : 64;
        List<String> words = args.length > 5 ? Files.readAllLines(Path.of(args[5])) : null;
        List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
        AtomicLong tokens = new AtomicLong();
        AtomicInteger errors = new AtomicInteger();
        double wall = LoadClient.run(clients, perClient, (id, r) -> {
            String prompt = words == null ? String.format(PROMPT, OPENERS[(id + r) % OPENERS.length]) + " " + id + "." + r
                    : words(words, 1000L * id + r);
            one(client, model, prompt, maxTokens, ttft, tokens);
        }, e -> {
            errors.incrementAndGet();
            System.err.println("request failed: " + e);
        });
        List<Long> sorted = LoadClient.sorted(ttft);
        System.out.printf(Locale.ROOT, "{\"clients\":%d,\"requests\":%d,\"tokens\":%d,\"wall_s\":%.2f,\"tokens_per_s\":%.2f,"
                        + "\"ttft_p50_ms\":%.0f,\"ttft_p99_ms\":%.0f,\"errors\":%d}%n", clients, clients * perClient, tokens.get(), wall,
                tokens.get() / wall, LoadClient.pct(sorted, 0.50), LoadClient.pct(sorted, 0.99), errors.get());
    }

    /** PROMPT_WORDS words of {@code words}, drawn with {@code seed}: the same prompts on every server. */
    static String words(List<String> words, long seed) {
        Random rnd = new Random(seed);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < PROMPT_WORDS; i++) {
            b.append(i == 0 ? "" : " ").append(words.get(rnd.nextInt(words.size())).strip());
        }
        return b.toString();
    }

    static void one(LoadClient client, String model, String prompt, int maxTokens, List<Long> ttft, AtomicLong tokens) throws Exception {
        String body = "{\"model\":" + LoadClient.q(model) + ",\"prompt\":" + LoadClient.q(prompt) + ",\"max_tokens\":" + maxTokens
                + ",\"temperature\":0.8,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        long start = System.nanoTime();
        boolean first = true;
        long chunks = 0;
        long usage = -1;
        boolean done = false;
        try (BufferedReader in = client.postStream("/v1/completions", body)) {
            for (String d; (d = LoadClient.nextData(in)) != null; ) {
                if (d.equals("[DONE]")) {
                    done = true;
                    break;
                }
                if (d.contains("\"error\"")) {
                    throw new IllegalStateException("stream error: data: " + d);
                }
                Matcher m = USAGE.matcher(d);
                if (m.find()) {
                    usage = Long.parseLong(m.group(1));
                }
                if (d.contains("\"text\":\"") && !d.contains("\"text\":\"\"")) {
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
