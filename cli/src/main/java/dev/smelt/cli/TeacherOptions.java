package dev.smelt.cli;

import dev.smelt.client.Prices;
import dev.smelt.client.RetryPolicy;
import dev.smelt.client.TeacherConfig;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options of a teacher (remote OpenAI-compatible endpoint) shared by distill, eval and route-eval. */
final class TeacherOptions {
    @Option(names = "--model", description = "Model name sent to the endpoint (default: the replay teacher's name).")
    String model;

    @Option(names = "--api-key-env", description = "Environment variable holding the API key (e.g. OPENAI_API_KEY); none by default.")
    String apiKeyEnv;

    @Option(names = "--concurrency", defaultValue = "8", description = "Requests in flight (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--rpm", defaultValue = "0", description = "Requests per minute limit (0 = none; default ${DEFAULT-VALUE}).")
    double rpm;

    @Option(names = "--tpm", defaultValue = "0", description = "Tokens per minute limit (0 = none; default ${DEFAULT-VALUE}).")
    double tpm;

    @Option(names = "--price-in", defaultValue = "0", description = "USD per 1M input tokens (default ${DEFAULT-VALUE}).")
    String priceIn;

    @Option(names = "--price-out", defaultValue = "0", description = "USD per 1M output tokens (default ${DEFAULT-VALUE}).")
    String priceOut;

    @Option(names = "--timeout", defaultValue = "120", description = "Seconds per attempt (default ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @Option(names = "--retries", defaultValue = "6", description = "Retries per request (default ${DEFAULT-VALUE}).")
    int retries;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the backoff jitter (default ${DEFAULT-VALUE}).")
    long seed;

    TeacherConfig config(String url, String defaultModel, Path cache) {
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--timeout must be > 0 seconds, got " + timeoutSeconds);
        }
        Prices prices;
        try {
            prices = new Prices(new java.math.BigDecimal(priceIn), new java.math.BigDecimal(priceOut));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--price-in/--price-out must be decimal numbers, got " + priceIn + ", " + priceOut);
        }
        RetryPolicy d = RetryPolicy.defaults(seed);
        RetryPolicy retry = new RetryPolicy(retries, d.initial(), d.max(), d.maxRetryAfter(), d.random());
        String m = model != null ? model : defaultModel;
        if (m == null) {
            throw new IllegalArgumentException("--model is required for a remote endpoint");
        }
        return TeacherConfig.of(url, m).withLimits(concurrency, rpm, tpm).withPrices(prices)
                .withRetry(retry, Duration.ofMillis((long) (timeoutSeconds * 1000))).withApiKeyEnv(apiKeyEnv).withCache(cache);
    }
}
