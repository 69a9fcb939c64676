package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * Client for any OpenAI-compatible chat completions endpoint, built for paying teachers: bounded
 * concurrency, request and token rate limits, retries with jittered exponential backoff that honour
 * {@code Retry-After} on 429/503, retries of other 5xx, timeouts, connection failures and malformed
 * bodies (never of other 4xx), a resumable fsync'd response cache, and exact token/cost accounting.
 * Identical requests in flight at the same time are asked once.
 *
 * <p>Thread-safe. Owns an executor for {@link #completeAll} and the cache file: close it.
 */
public final class TeacherClient implements AutoCloseable {
    /** Characters per token when estimating a prompt for the tokens-per-minute limit (OpenAI's rule of thumb). */
    static final double CHARS_PER_TOKEN = 4.0;
    /** Output tokens assumed for the token limit when a request sets no max_tokens. */
    static final int DEFAULT_OUTPUT_ESTIMATE = 256;

    private final TeacherConfig config;
    private final HttpClient http;
    private final TimeSource time;
    private final String apiKey;
    private final Semaphore inFlight;
    private final TokenBucket requests;
    private final TokenBucket tokens;
    private final ResponseCache cache;
    private final CostMeter meter;
    private final Map<String, CompletableFuture<TeacherResponse>> pending = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param env looks up environment variables (System::getenv in the product; the key's variable is named by the config)
     */
    public TeacherClient(TeacherConfig config, HttpClient http, TimeSource time, Function<String, String> env) throws IOException {
        this.config = config;
        this.http = http;
        this.time = time;
        if (config.apiKeyEnv() != null && !config.apiKeyEnv().isBlank()) {
            String k = env.apply(config.apiKeyEnv());
            if (k == null || k.isBlank()) {
                throw new IllegalArgumentException("environment variable " + config.apiKeyEnv() + " (the teacher's API key) is not set");
            }
            this.apiKey = k.trim();
        } else {
            this.apiKey = null;
        }
        this.inFlight = new Semaphore(config.maxConcurrency(), true);
        this.requests = config.requestsPerMinute() > 0 ? new TokenBucket(config.requestsPerMinute(), time) : null;
        this.tokens = config.tokensPerMinute() > 0 ? new TokenBucket(config.tokensPerMinute(), time) : null;
        this.cache = config.cacheFile() != null ? ResponseCache.open(config.cacheFile()) : null;
        this.meter = new CostMeter(config.prices());
    }

    public TeacherConfig config() {
        return config;
    }

    public CostMeter meter() {
        return meter;
    }

    /** The request body for {@code messages} with this client's model, temperature 0 and the given options. */
    public ObjectNode newRequest(List<Map<String, String>> messages, int maxTokens, Integer topLogprobs) {
        ObjectNode b = Canonical.JSON.createObjectNode().put("model", config.model());
        var arr = b.putArray("messages");
        for (Map<String, String> m : messages) {
            arr.addObject().put("role", m.get("role")).put("content", m.get("content"));
        }
        b.put("temperature", 0);
        if (maxTokens > 0) {
            b.put("max_tokens", maxTokens);
        }
        if (topLogprobs != null) {
            b.put("logprobs", true).put("top_logprobs", topLogprobs);
        }
        return b;
    }

    /** Sends one request (or answers it from the cache); blocks until done. */
    public TeacherResponse complete(ObjectNode body) throws TeacherException, InterruptedException {
        if (!body.path("model").isTextual()) {
            body.put("model", config.model());
        }
        String key = Canonical.hash(body);
        if (cache != null) {
            JsonNode hit = cache.get(key);
            if (hit != null) {
                TeacherResponse r = TeacherResponse.parse(hit, true);
                meter.cached(r.promptTokens(), r.completionTokens());
                return r;
            }
        }
        CompletableFuture<TeacherResponse> mine = new CompletableFuture<>();
        CompletableFuture<TeacherResponse> other = pending.putIfAbsent(key, mine);
        if (other != null) {
            TeacherResponse r = await(other);
            meter.cached(r.promptTokens(), r.completionTokens()); // asked once for both: the second costs nothing
            return r;
        }
        try {
            TeacherResponse r = send(key, body);
            mine.complete(r);
            return r;
        } catch (TeacherException | InterruptedException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            pending.remove(key);
        }
    }

    private static TeacherResponse await(CompletableFuture<TeacherResponse> f) throws TeacherException, InterruptedException {
        try {
            TeacherResponse r = f.get();
            return new TeacherResponse(r.content(), r.finishReason(), r.promptTokens(), r.completionTokens(), r.logprobs(), r.raw(), true);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TeacherException t) {
                throw t;
            }
            throw new TeacherException(0, "teacher call failed: " + e.getCause(), e.getCause());
        }
    }

    /** Outcome of one request of a batch: a response or the failure. */
    public record Outcome(int index, TeacherResponse response, TeacherException error) {
    }

    /** Sends every request with bounded concurrency; the outcomes come back in input order. */
    public List<Outcome> completeAll(List<ObjectNode> bodies) throws InterruptedException {
        List<Future<Outcome>> fs = new ArrayList<>(bodies.size());
        for (int i = 0; i < bodies.size(); i++) {
            int idx = i;
            ObjectNode b = bodies.get(i);
            fs.add(executor.submit(() -> {
                try {
                    return new Outcome(idx, complete(b), null);
                } catch (TeacherException e) {
                    return new Outcome(idx, null, e);
                }
            }));
        }
        List<Outcome> out = new ArrayList<>(bodies.size());
        try {
            for (Future<Outcome> f : fs) {
                out.add(f.get());
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("unexpected failure in a teacher call", e.getCause());
        } catch (InterruptedException e) {
            fs.forEach(f -> f.cancel(true));
            throw e;
        }
        return out;
    }

    private TeacherResponse send(String key, ObjectNode body) throws TeacherException, InterruptedException {
        inFlight.acquire();
        try {
            return sendWithRetries(key, body);
        } finally {
            inFlight.release();
        }
    }

    private TeacherResponse sendWithRetries(String key, ObjectNode body) throws TeacherException, InterruptedException {
        byte[] payload = body.toString().getBytes(StandardCharsets.UTF_8);
        long estimate = estimateTokens(body);
        String lastProblem = null;
        int lastStatus = 0;
        for (int attempt = 0; ; attempt++) {
            acquireLimits(estimate);
            Duration wait;
            try {
                HttpResponse<byte[]> resp = http.send(request(payload), HttpResponse.BodyHandlers.ofByteArray());
                int status = resp.statusCode();
                lastStatus = status;
                if (status == 200) {
                    Optional<TeacherResponse> ok = parseOk(resp.body());
                    if (ok.isPresent()) {
                        return settle(key, ok.get(), estimate);
                    }
                    meter.malformed();
                    lastProblem = "malformed response body";
                    wait = config.retry().backoff(attempt);
                } else {
                    lastProblem = "HTTP " + status + errorMessage(resp.body());
                    wait = retryWait(status, resp.headers().firstValue("Retry-After").orElse(null), lastProblem, attempt);
                }
            } catch (HttpTimeoutException e) {
                lastStatus = 0;
                lastProblem = "timed out after " + config.requestTimeout().toMillis() + " ms";
                wait = config.retry().backoff(attempt);
            } catch (IOException e) {
                lastStatus = 0;
                lastProblem = "connection failed: " + e;
                wait = config.retry().backoff(attempt);
            }
            pause(attempt, wait, lastStatus, lastProblem);
        }
    }

    private void acquireLimits(long estimate) throws InterruptedException {
        if (requests != null) {
            requests.acquire(1);
        }
        if (tokens != null) {
            tokens.acquire(estimate);
        }
        meter.attempt();
    }

    /** Records a good response: token bucket settled with the real usage, cached (fsync'd), paid. */
    private TeacherResponse settle(String key, TeacherResponse r, long estimate) throws TeacherException {
        if (tokens != null) {
            tokens.adjust(r.promptTokens() + r.completionTokens() - estimate);
        }
        if (cache != null) {
            try {
                cache.put(key, r.raw());
            } catch (IOException e) {
                throw new TeacherException(0, "cannot write the response cache " + cache.file() + ": " + e.getMessage(), e);
            }
        }
        meter.paid(r.promptTokens(), r.completionTokens());
        return r;
    }

    /** The wait before retrying a non-200 status; throws for statuses that must not be retried. */
    private Duration retryWait(int status, String retryAfter, String problem, int attempt) throws TeacherException {
        if (status == 429 || status == 503) {
            Optional<Duration> ra = RetryPolicy.parseRetryAfter(retryAfter, time.now());
            if (ra.isPresent() && ra.get().compareTo(config.retry().maxRetryAfter()) > 0) {
                meter.failure();
                throw new TeacherException(status, "teacher asked to retry after " + ra.get().toSeconds() + " s, more than the "
                        + config.retry().maxRetryAfter().toSeconds() + " s allowed: " + problem, null);
            }
            return ra.isPresent() ? ra.get() : config.retry().backoff(attempt);
        }
        if (status >= 500 || status == 408) {
            return config.retry().backoff(attempt);
        }
        meter.failure();
        throw new TeacherException(status, "teacher refused the request: " + problem, null);
    }

    /** Sleeps before the next attempt, or fails when the retries are spent. */
    private void pause(int attempt, Duration wait, int lastStatus, String lastProblem) throws TeacherException, InterruptedException {
        if (attempt >= config.retry().maxRetries()) {
            meter.failure();
            throw new TeacherException(lastStatus, "teacher call failed after " + (attempt + 1) + " attempts: " + lastProblem
                    + " (" + config.chatCompletions() + ")", null);
        }
        meter.retry();
        time.sleep(wait);
    }

    /** A streamed answer that broke after {@link #emitted()} had been delivered: it cannot be retried transparently. */
    public static final class StreamBrokenException extends TeacherException {
        private final String emitted;

        StreamBrokenException(String emitted, String message, Throwable cause) {
            super(0, message, cause);
            this.emitted = emitted;
        }

        public String emitted() {
            return emitted;
        }
    }

    /**
     * Streams one request ({@code "stream": true}, server-sent events), passing each text delta to
     * {@code onDelta}. Shares the cache with {@link #complete} (same key: the body without the stream
     * flag; a hit is delivered as one delta) and its limits and retries, but only until the first delta:
     * a failure after that throws {@link StreamBrokenException}. Token usage comes from the final usage
     * chunk ({@code stream_options.include_usage}); a server that sends none is charged the estimate
     * ceil(characters / 4) per side.
     */
    public TeacherResponse stream(ObjectNode body, java.util.function.Consumer<String> onDelta) throws TeacherException, InterruptedException {
        if (!body.path("model").isTextual()) {
            body.put("model", config.model());
        }
        String key = Canonical.hash(body);
        if (cache != null && cache.get(key) != null) {
            TeacherResponse r = TeacherResponse.parse(cache.get(key), true);
            meter.cached(r.promptTokens(), r.completionTokens());
            onDelta.accept(r.content());
            return r;
        }
        ObjectNode sb = body.deepCopy().put("stream", true);
        sb.putObject("stream_options").put("include_usage", true);
        byte[] payload = sb.toString().getBytes(StandardCharsets.UTF_8);
        long estimate = estimateTokens(body);
        inFlight.acquire();
        try {
            String lastProblem = null;
            int lastStatus = 0;
            for (int attempt = 0; ; attempt++) {
                acquireLimits(estimate);
                Duration wait;
                StringBuilder text = new StringBuilder();
                try {
                    HttpResponse<java.util.stream.Stream<String>> resp = http.send(request(payload), HttpResponse.BodyHandlers.ofLines());
                    lastStatus = resp.statusCode();
                    if (lastStatus == 200) {
                        try (java.util.stream.Stream<String> lines = resp.body()) {
                            TeacherResponse r = readEvents(lines.iterator(), text, onDelta, body);
                            if (r != null) {
                                return settle(key, r, estimate);
                            }
                        }
                        lastProblem = "the stream ended before [DONE]";
                    } else {
                        String err;
                        try (java.util.stream.Stream<String> lines = resp.body()) {
                            err = String.join("\n", lines.toList());
                        }
                        lastProblem = "HTTP " + lastStatus + errorMessage(err.getBytes(StandardCharsets.UTF_8));
                        wait = retryWait(lastStatus, resp.headers().firstValue("Retry-After").orElse(null), lastProblem, attempt);
                        pause(attempt, wait, lastStatus, lastProblem);
                        continue;
                    }
                } catch (HttpTimeoutException e) {
                    lastProblem = "timed out after " + config.requestTimeout().toMillis() + " ms";
                } catch (IOException | java.io.UncheckedIOException e) {
                    lastProblem = "connection failed: " + e;
                } catch (IllegalArgumentException e) {
                    lastProblem = "malformed event: " + e.getMessage();
                }
                if (!text.isEmpty()) {
                    meter.failure();
                    throw new StreamBrokenException(text.toString(), "stream broke after " + text.length() + " characters: " + lastProblem, null);
                }
                pause(attempt, config.retry().backoff(attempt), lastStatus, lastProblem);
            }
        } finally {
            inFlight.release();
        }
    }

    /** Reads SSE lines up to {@code data: [DONE]}; returns the assembled response, or null when the stream ended early. */
    private static TeacherResponse readEvents(java.util.Iterator<String> lines, StringBuilder text, java.util.function.Consumer<String> onDelta,
                                              ObjectNode body) throws IOException {
        ObjectNode raw = Canonical.JSON.createObjectNode().put("object", "chat.completion").put("model", body.path("model").asText());
        com.fasterxml.jackson.databind.node.ArrayNode lps = Canonical.JSON.createArrayNode();
        String finish = null;
        JsonNode usage = null;
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.startsWith("data:")) {
                continue; // comments (keep-alives), event names, blank separators
            }
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) {
                ObjectNode choice = raw.putArray("choices").addObject().put("index", 0).put("finish_reason", finish);
                choice.putObject("message").put("role", "assistant").put("content", text.toString());
                if (!lps.isEmpty()) {
                    choice.putObject("logprobs").set("content", lps);
                }
                ObjectNode u = raw.putObject("usage");
                long in = usage != null ? usage.path("prompt_tokens").asLong() : (long) Math.ceil(charsOf(body) / CHARS_PER_TOKEN);
                long out = usage != null ? usage.path("completion_tokens").asLong() : (long) Math.ceil(text.length() / CHARS_PER_TOKEN);
                u.put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
                return TeacherResponse.parse(raw, false);
            }
            JsonNode ev;
            try {
                ev = Canonical.JSON.readTree(data);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
            }
            if (ev.has("error")) {
                throw new IOException("error event: " + ev.get("error").path("message").asText(ev.get("error").toString()));
            }
            if (ev.path("usage").isObject()) {
                usage = ev.get("usage");
            }
            JsonNode ch = ev.path("choices").path(0);
            String d = ch.path("delta").path("content").asText("");
            if (!d.isEmpty()) {
                text.append(d);
                onDelta.accept(d);
            }
            ch.path("logprobs").path("content").forEach(lps::add);
            if (ch.path("finish_reason").isTextual()) {
                finish = ch.get("finish_reason").asText();
            }
        }
        return null;
    }

    private static long charsOf(JsonNode body) {
        long chars = 0;
        for (JsonNode m : body.path("messages")) {
            chars += m.path("content").asText("").length();
        }
        return chars;
    }

    private HttpRequest request(byte[] payload) {
        HttpRequest.Builder b = HttpRequest.newBuilder(config.chatCompletions()).timeout(config.requestTimeout())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b.build();
    }

    private static Optional<TeacherResponse> parseOk(byte[] body) {
        try {
            return Optional.of(TeacherResponse.parse(Canonical.JSON.readTree(body), false));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String errorMessage(byte[] body) {
        try {
            JsonNode m = Canonical.JSON.readTree(body).path("error").path("message");
            return m.isTextual() ? ": " + m.asText() : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Prompt characters / 4 + max_tokens: what the token limit reserves before the call. */
    static long estimateTokens(JsonNode body) {
        long chars = charsOf(body);
        int maxOut = body.path("max_tokens").asInt(body.path("max_completion_tokens").asInt(DEFAULT_OUTPUT_ESTIMATE));
        return (long) Math.ceil(chars / CHARS_PER_TOKEN) + maxOut;
    }

    @Override
    public void close() throws IOException {
        executor.shutdownNow();
        if (cache != null) {
            cache.close();
        }
    }
}
