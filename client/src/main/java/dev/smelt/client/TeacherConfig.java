package dev.smelt.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a {@link TeacherClient}. Immutable.
 *
 * @param baseUrl           OpenAI-style base URL ({@code https://api.openai.com/v1}); {@code /v1} is added when the path is empty
 * @param model             the {@code model} field sent with every request
 * @param apiKeyEnv         name of the environment variable holding the API key, or null for none
 * @param maxConcurrency    requests in flight at once
 * @param requestsPerMinute request rate limit (token bucket), or 0 for none
 * @param tokensPerMinute   token rate limit (prompt estimate + max_tokens, settled from usage), or 0 for none
 * @param requestTimeout    per-attempt timeout; a timed-out attempt is retried
 * @param cacheFile         the resumable response cache, or null for none
 */
public record TeacherConfig(URI baseUrl, String model, String apiKeyEnv, int maxConcurrency, double requestsPerMinute,
                            double tokensPerMinute, Duration requestTimeout, RetryPolicy retry, Prices prices, Path cacheFile) {
    public TeacherConfig {
        if (baseUrl == null || baseUrl.getScheme() == null || !baseUrl.getScheme().startsWith("http")) {
            throw new IllegalArgumentException("teacher URL must be http(s)://..., got " + baseUrl);
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("teacher model name is required");
        }
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("max concurrency must be >= 1, got " + maxConcurrency);
        }
        if (requestsPerMinute < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException("rate limits must be >= 0 (0 = none), got " + requestsPerMinute + " requests/min, "
                    + tokensPerMinute + " tokens/min");
        }
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be > 0, got " + requestTimeout);
        }
    }

    /** Defaults for a URL and model: 8 in flight, no rate limits, 120 s timeout, default retries, free, no cache. */
    public static TeacherConfig of(String url, String model) {
        return new TeacherConfig(URI.create(url), model, null, 8, 0, 0, Duration.ofSeconds(120), RetryPolicy.defaults(42),
                Prices.FREE, null);
    }

    public TeacherConfig withCache(Path file) {
        return new TeacherConfig(baseUrl, model, apiKeyEnv, maxConcurrency, requestsPerMinute, tokensPerMinute, requestTimeout, retry, prices, file);
    }

    public TeacherConfig withLimits(int concurrency, double rpm, double tpm) {
        return new TeacherConfig(baseUrl, model, apiKeyEnv, concurrency, rpm, tpm, requestTimeout, retry, prices, cacheFile);
    }

    public TeacherConfig withRetry(RetryPolicy r, Duration timeout) {
        return new TeacherConfig(baseUrl, model, apiKeyEnv, maxConcurrency, requestsPerMinute, tokensPerMinute, timeout, r, prices, cacheFile);
    }

    public TeacherConfig withPrices(Prices p) {
        return new TeacherConfig(baseUrl, model, apiKeyEnv, maxConcurrency, requestsPerMinute, tokensPerMinute, requestTimeout, retry, p, cacheFile);
    }

    public TeacherConfig withApiKeyEnv(String env) {
        return new TeacherConfig(baseUrl, model, env, maxConcurrency, requestsPerMinute, tokensPerMinute, requestTimeout, retry, prices, cacheFile);
    }

    /** The chat completions endpoint. */
    public URI chatCompletions() {
        String s = baseUrl.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        String path = baseUrl.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            s += "/v1";
        }
        return URI.create(s + "/chat/completions");
    }
}
