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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * type: pool     replicas (list of URLs of OpenAI-compatible servers of one model), model, retries (2),
 *                affinity_prefix_chars (256; 0 = off), affinity_load_factor (1.25), health_interval_seconds (5),
 *                health_timeout_seconds (2), consecutive_failures (5), base_ejection_seconds (30),
 *                max_ejection_seconds (300), max_ejected_percent (50), unhealthy_checks (2), and per replica
 *                timeout_seconds, concurrency (256), price_in, price_out: see {@link PoolTarget}, {@link ReplicaPool}
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
        m.put("pool", (name, s, base) -> pool(name, s, base, http, env, TimeSource.SYSTEM));
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

    /** A {@code type: pool} target; the clock drives health checks and ejection times. */
    static PoolTarget pool(String name, JsonNode s, Path base, HttpClient http, Function<String, String> env, TimeSource time) throws Exception {
        JsonNode urls = s.path("replicas");
        if (!urls.isArray() || urls.isEmpty()) {
            throw new IllegalArgumentException("target '" + name + "': 'replicas' must be a non-empty list of URLs");
        }
        String model = need(name, s, "model");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            String u = urls.get(i).asText("");
            if (!urls.get(i).isTextual() || !(u.startsWith("http://") || u.startsWith("https://"))) {
                throw new IllegalArgumentException("target '" + name + "': replicas[" + i + "] must be an http(s) URL, got " + urls.get(i));
            }
            ids.add(u);
        }
        ReplicaPool.Settings d = ReplicaPool.Settings.defaults();
        ReplicaPool.Settings settings;
        try {
            settings = new ReplicaPool.Settings(s.path("consecutive_failures").asInt(d.consecutiveFailures()),
                seconds(name, s, "base_ejection_seconds", d.baseEjection()), seconds(name, s, "max_ejection_seconds", d.maxEjection()),
                s.path("max_ejected_percent").asInt(d.maxEjectedPercent()), s.path("unhealthy_checks").asInt(d.unhealthyChecks()),
                s.path("affinity_load_factor").asDouble(d.loadFactor()), d.virtualNodes());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("target '" + name + "': " + e.getMessage(), e);
        }
        Duration interval = seconds(name, s, "health_interval_seconds", Duration.ofSeconds(5)); // 0: no background checks
        ReplicaPool pool = new ReplicaPool(ids, settings, time::nanoTime, e -> System.err.println("pool '" + name + "': " + e));
        List<RemoteTarget> clients = new ArrayList<>();
        try {
            for (String u : ids) {
                // one attempt per replica: the pool retries on another replica instead
                com.fasterxml.jackson.databind.node.ObjectNode one = s.deepCopy();
                one.put("retries", 0).put("concurrency", s.path("concurrency").asInt(256)).remove("cache");
                clients.add(remote(name + "@" + u, one, base, http, env, u, model));
            }
            return new PoolTarget(name, clients, pool, s.path("retries").asInt(2), s.path("affinity_prefix_chars").asInt(256), http, time,
                    interval.isZero() ? null : interval, seconds(name, s, "health_timeout_seconds", Duration.ofSeconds(2)));
        } catch (Exception e) {
            for (RemoteTarget t : clients) {
                t.close();
            }
            throw e;
        }
    }

    private static Duration seconds(String name, JsonNode s, String f, Duration dflt) {
        if (!s.has(f)) {
            return dflt;
        }
        if (!s.get(f).isNumber() || s.get(f).asDouble() < 0) {
            throw new IllegalArgumentException("target '" + name + "': '" + f + "' must be a number of seconds >= 0, got " + s.get(f));
        }
        return Duration.ofMillis((long) (s.get(f).asDouble() * 1000));
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
