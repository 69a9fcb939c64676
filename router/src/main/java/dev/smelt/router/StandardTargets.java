package dev.smelt.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.task.DataFile;
import dev.smelt.client.Prices;
import dev.smelt.task.ReplayTeacher;
import dev.smelt.client.RetryPolicy;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.LocalModelTarget;
import dev.smelt.eval.RemoteTarget;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The target types a router file can name without extra modules:
 * <pre>
 * type: openai   url, model, api_key_env, price_in, price_out (USD / 1M tokens), concurrency, rpm, tpm,
 *                timeout_seconds, retries, cache (JSONL path), logprobs (default true)
 * type: gguf     path, threads (default: all cores), ctx (default 2048)
 * type: classifier  path (a folder from smelt classify-train), threads: frozen-encoder classifier;
 *                confidence: probability (default) | distance | combined (see ClassifierTarget)
 * type: replay   data (labelled .csv/.jsonl), input_field, label_field, price_in, price_out, cache: the
 *                replay teacher STAND-IN (looks labels up; not a model) served locally over HTTP
 * </pre>
 * Stateless.
 */
public final class StandardTargets {
    private StandardTargets() {
    }

    public static Map<String, TargetFactory> factories(HttpClient http, Function<String, String> env) {
        Map<String, TargetFactory> m = new LinkedHashMap<>();
        m.put("openai", (name, s, base) -> remote(name, s, base, http, env, need(name, s, "url"), need(name, s, "model")));
        m.put("gguf", (name, s, base) -> new LocalModelTarget(name, base.resolve(need(name, s, "path")),
                s.path("threads").asInt(Runtime.getRuntime().availableProcessors()), s.path("ctx").asInt(2048)));
        m.put("classifier", (name, s, base) -> new dev.smelt.eval.ClassifierTarget(name, base.resolve(need(name, s, "path")),
                s.path("threads").asInt(Runtime.getRuntime().availableProcessors()),
                dev.smelt.eval.ClassifierTarget.Confidence.parse(s.path("confidence").asText("probability"), "target '" + name + "': confidence")));
        m.put("replay", (name, s, base) -> {
            Path data = base.resolve(need(name, s, "data"));
            ReplayTeacher rt = new ReplayTeacher(DataFile.read(data, s.path("input_field").asText("text"), s.path("label_field").asText("label"), true),
                    "127.0.0.1", 0);
            try {
                RemoteTarget t = remote(name, s, base, http, env, rt.url(), ReplayTeacher.MODEL);
                return new ReplayTeacherTarget(name, t, rt);
            } catch (Exception e) {
                rt.close();
                throw e;
            }
        });
        return m;
    }

    static RemoteTarget remote(String name, JsonNode s, Path base, HttpClient http, Function<String, String> env, String url, String model)
            throws Exception {
        Prices prices = new Prices(decimal(name, s, "price_in"), decimal(name, s, "price_out"));
        RetryPolicy d = RetryPolicy.defaults(s.path("seed").asLong(42));
        TeacherConfig c = TeacherConfig.of(url, s.path("model").asText(model))
                .withLimits(s.path("concurrency").asInt(8), s.path("rpm").asDouble(0), s.path("tpm").asDouble(0))
                .withRetry(new RetryPolicy(s.path("retries").asInt(d.maxRetries()), d.initial(), d.max(), d.maxRetryAfter(), d.random()),
                        Duration.ofMillis((long) (s.path("timeout_seconds").asDouble(120) * 1000)))
                .withPrices(prices).withApiKeyEnv(s.path("api_key_env").asText(null))
                .withCache(s.hasNonNull("cache") ? base.resolve(s.get("cache").asText()) : null);
        return new RemoteTarget(name, new TeacherClient(c, http, TimeSource.SYSTEM, env), s.path("logprobs").asBoolean(true));
    }

    private static BigDecimal decimal(String name, JsonNode s, String f) {
        JsonNode v = s.get(f);
        if (v == null) {
            return BigDecimal.ZERO;
        }
        if (!v.isNumber() || v.decimalValue().signum() < 0) {
            throw new IllegalArgumentException("target '" + name + "': '" + f + "' must be a number >= 0 (USD per 1M tokens), got " + v);
        }
        return new BigDecimal(v.asText());
    }

    static String need(String name, JsonNode s, String f) {
        JsonNode v = s.get(f);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException("target '" + name + "': missing '" + f + "'");
        }
        return v.asText();
    }
}
