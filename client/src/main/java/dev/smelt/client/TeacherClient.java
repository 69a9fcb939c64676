package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Client for any OpenAI-compatible chat completions endpoint, built for paying teachers: bounded
 * concurrency, request and token rate limits, retries with jittered exponential backoff that honour
 * {@code Retry-After} on 429/503, retries of other 5xx, timeouts, connection failures and malformed
 * bodies (never of other 4xx), a resumable fsync'd response cache, and exact token/cost accounting.
 * Identical requests in flight at the same time are asked once.
 *
 * <p>This class holds the cache, the de-duplication and the attempt loops; each other concern is its
 * own class: admission ({@link RequestLimits}: concurrency, requests and tokens per minute), what
 * follows a failure ({@link Retries}), reading a stream ({@link SseChatReader}), token guesses
 * ({@link TokenEstimate}), accounting ({@link CostMeter}), the cache file ({@link ResponseCache}).
 *
 * <p>Thread-safe. Owns an executor for {@link #completeAll} and the cache file: close it.
 */
public final class TeacherClient implements AutoCloseable {
    private final TeacherConfig config;
    private final HttpClient http;
    private final String apiKey;
    private final RequestLimits limits;
    private final Retries retries;
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
        if (config.apiKeyEnv() != null && !config.apiKeyEnv().isBlank()) {
            String k = env.apply(config.apiKeyEnv());
            if (k == null || k.isBlank()) {
                throw new IllegalArgumentException("environment variable " + config.apiKeyEnv() + " (the teacher's API key) is not set");
            }
            this.apiKey = k.trim();
        } else {
            this.apiKey = null;
        }
        this.limits = new RequestLimits(config, time);
        this.cache = config.cacheFile() != null ? ResponseCache.open(config.cacheFile()) : null;
        this.meter = new CostMeter(config.prices());
        this.retries = new Retries(config.retry(), time, meter, config.chatCompletions());
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
        limits.enter();
        try {
            return sendWithRetries(key, body);
        } finally {
            limits.leave();
        }
    }

    private TeacherResponse sendWithRetries(String key, ObjectNode body) throws TeacherException, InterruptedException {
        byte[] payload = body.toString().getBytes(StandardCharsets.UTF_8);
        long estimate = TokenEstimate.request(body);
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
                    wait = retries.backoff(attempt);
                } else {
                    lastProblem = "HTTP " + status + Retries.errorMessage(resp.body());
                    wait = retries.afterStatus(status, resp.headers().firstValue("Retry-After").orElse(null), lastProblem, attempt);
                }
            } catch (HttpTimeoutException e) {
                lastStatus = 0;
                lastProblem = "timed out after " + config.requestTimeout().toMillis() + " ms";
                wait = retries.backoff(attempt);
            } catch (IOException e) {
                lastStatus = 0;
                lastProblem = "connection failed: " + e;
                wait = retries.backoff(attempt);
            }
            retries.pause(attempt, wait, lastStatus, lastProblem);
        }
    }

    private void acquireLimits(long estimate) throws InterruptedException {
        limits.acquire(estimate);
        meter.attempt();
    }

    /** Records a good response: token budget settled with the real usage, cached (fsync'd), paid. */
    private TeacherResponse settle(String key, TeacherResponse r, long estimate) throws TeacherException {
        limits.settle(r.promptTokens() + r.completionTokens(), estimate);
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
    public TeacherResponse stream(ObjectNode body, Consumer<String> onDelta) throws TeacherException, InterruptedException {
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
        long estimate = TokenEstimate.request(body);
        limits.enter();
        try {
            String lastProblem = null;
            int lastStatus = 0;
            for (int attempt = 0; ; attempt++) {
                acquireLimits(estimate);
                StringBuilder text = new StringBuilder();
                try {
                    HttpResponse<Stream<String>> resp = http.send(request(payload), HttpResponse.BodyHandlers.ofLines());
                    lastStatus = resp.statusCode();
                    if (lastStatus == 200) {
                        try (Stream<String> lines = resp.body()) {
                            TeacherResponse r = SseChatReader.read(lines.iterator(), text, onDelta, body);
                            if (r != null) {
                                return settle(key, r, estimate);
                            }
                        }
                        lastProblem = "the stream ended before [DONE]";
                    } else {
                        String err;
                        try (Stream<String> lines = resp.body()) {
                            err = String.join("\n", lines.toList());
                        }
                        lastProblem = "HTTP " + lastStatus + Retries.errorMessage(err.getBytes(StandardCharsets.UTF_8));
                        Duration wait = retries.afterStatus(lastStatus, resp.headers().firstValue("Retry-After").orElse(null), lastProblem, attempt);
                        retries.pause(attempt, wait, lastStatus, lastProblem);
                        continue;
                    }
                } catch (HttpTimeoutException e) {
                    lastProblem = "timed out after " + config.requestTimeout().toMillis() + " ms";
                } catch (IOException | UncheckedIOException e) {
                    lastProblem = "connection failed: " + e;
                } catch (IllegalArgumentException e) {
                    lastProblem = "malformed event: " + e.getMessage();
                }
                if (!text.isEmpty()) {
                    meter.failure();
                    throw new StreamBrokenException(text.toString(), "stream broke after " + text.length() + " characters: " + lastProblem, null);
                }
                retries.pause(attempt, retries.backoff(attempt), lastStatus, lastProblem);
            }
        } finally {
            limits.leave();
        }
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

    @Override
    public void close() throws IOException {
        executor.shutdownNow();
        if (cache != null) {
            cache.close();
        }
    }
}
