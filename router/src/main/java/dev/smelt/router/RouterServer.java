package dev.smelt.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.distill.Canonical;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One OpenAI-compatible endpoint in front of a {@link Router}: {@code POST /v1/chat/completions}
 * (also streamed as server-sent events), {@code GET /v1/models}, {@code /health}, Prometheus
 * {@code /metrics}. Every answer says which target answered and what it cost: headers
 * {@code X-Smelt-Target}, {@code X-Smelt-Cost-USD}, {@code X-Smelt-Escalations} and a {@code smelt}
 * object in the body (streams carry it in the last chunk, since headers go out before the target is
 * known). A fallback after a mid-stream failure that cannot continue the streamed text sends a chunk
 * {@code {"smelt_restart": REASON}}: the client should drop what it has and take what follows.
 * Errors use OpenAI's error JSON. Thread-safe; owns the HTTP server (not the router).
 */
public final class RouterServer implements AutoCloseable {
    /** Answer budget when a request sets no max_tokens. */
    static final int DEFAULT_MAX_TOKENS = 256;

    private final Router router;
    private final Set<String> apiKeys;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Javalin app;

    public RouterServer(Router router, Set<String> apiKeys) {
        this.router = router;
        this.apiKeys = Set.copyOf(apiKeys);
        this.app = Javalin.create(c -> {
            c.useVirtualThreads = true;
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
        });
        app.before(this::authenticate);
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        app.get("/v1/models", ctx -> {
            ObjectNode o = Canonical.JSON.createObjectNode().put("object", "list");
            o.putArray("data").addObject().put("id", router.name()).put("object", "model").put("owned_by", "smelt");
            ctx.contentType("application/json").result(o.toString());
        });
        app.post("/v1/chat/completions", this::chat);
        app.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.type, e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> error(ctx, 500, "server_error", "internal error: " + e));
    }

    /** Starts on host:port (0 = any free port); returns the port. */
    public int start(String host, int port) {
        app.start(host, port);
        return app.port();
    }

    private void authenticate(Context ctx) {
        if (apiKeys.isEmpty() || ctx.path().equals("/health")) {
            return;
        }
        String h = ctx.header("Authorization");
        String key = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
        if (key == null || !apiKeys.contains(key)) {
            throw new ApiError(401, "authentication_error", key == null ? "missing API key: send 'Authorization: Bearer KEY'" : "invalid API key");
        }
    }

    private void chat(Context ctx) throws Exception {
        long t0 = System.nanoTime();
        JsonNode body;
        try {
            body = Canonical.JSON.readTree(ctx.bodyAsBytes());
        } catch (IOException e) {
            throw new ApiError(400, "invalid_request_error", "request body is not valid JSON");
        }
        if (body == null || !body.path("messages").isArray() || body.path("messages").isEmpty()) {
            throw new ApiError(400, "invalid_request_error", "'messages' must be a non-empty array");
        }
        List<Map<String, String>> msgs = new ArrayList<>();
        String input = null;
        for (JsonNode m : body.get("messages")) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new ApiError(400, "invalid_request_error", "each message needs a 'role' and a string 'content'");
            }
            msgs.add(Map.of("role", m.get("role").asText(), "content", m.get("content").asText()));
            if (m.get("role").asText().equals("user")) {
                input = m.get("content").asText();
            }
        }
        if (input == null) {
            throw new ApiError(400, "invalid_request_error", "no user message to route");
        }
        int maxTokens = body.path("max_tokens").asInt(body.path("max_completion_tokens").asInt(DEFAULT_MAX_TOKENS));
        if (maxTokens < 1) {
            throw new ApiError(400, "invalid_request_error", "max_tokens must be >= 1, got " + maxTokens);
        }
        Query q = new Query("http", input, msgs, maxTokens);
        if (body.path("stream").asBoolean(false)) {
            stream(ctx, q, t0);
            return;
        }
        Answer a;
        try {
            a = router.answer(q);
        } catch (Router.RouterException e) {
            count("error", java.math.BigDecimal.ZERO, t0);
            throw new ApiError(502, "upstream_error", e.getMessage());
        }
        count(a.target(), a.costUsd(), t0);
        ObjectNode o = completion(a);
        ctx.header("X-Smelt-Target", a.target()).header("X-Smelt-Cost-USD", a.costUsd().toPlainString())
                .header("X-Smelt-Escalations", String.join(",", a.escalations()));
        ctx.contentType("application/json").result(o.toString());
    }

    private void stream(Context ctx, Query q, long t0) throws IOException {
        ctx.res().setStatus(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setHeader("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        try {
            Answer a = router.answer(q, d -> send(out, chunk(Map.of("content", d), null)), reason -> {
                ObjectNode r = Canonical.JSON.createObjectNode().put("object", "chat.completion.chunk").put("smelt_restart", reason);
                r.putArray("choices");
                send(out, r);
            });
            ObjectNode last = chunk(Map.of(), "stop");
            smelt(last, a);
            last.putObject("usage").put("prompt_tokens", a.inputTokens()).put("completion_tokens", a.outputTokens())
                    .put("total_tokens", a.inputTokens() + a.outputTokens());
            send(out, last);
            count(a.target(), a.costUsd(), t0);
        } catch (Exception e) {
            count("error", java.math.BigDecimal.ZERO, t0);
            ObjectNode err = Canonical.JSON.createObjectNode();
            err.putObject("error").put("message", e.getMessage()).put("type", "upstream_error");
            send(out, err);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode chunk(Map<String, String> delta, String finish) {
        ObjectNode o = Canonical.JSON.createObjectNode().put("object", "chat.completion.chunk").put("model", router.name());
        ObjectNode c = o.putArray("choices").addObject().put("index", 0);
        ObjectNode d = c.putObject("delta");
        delta.forEach(d::put);
        if (finish != null) {
            c.put("finish_reason", finish);
        } else {
            c.putNull("finish_reason");
        }
        return o;
    }

    private ObjectNode completion(Answer a) {
        ObjectNode o = Canonical.JSON.createObjectNode().put("object", "chat.completion").put("model", router.name());
        ObjectNode c = o.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        c.putObject("message").put("role", "assistant").put("content", a.text());
        o.putObject("usage").put("prompt_tokens", a.inputTokens()).put("completion_tokens", a.outputTokens())
                .put("total_tokens", a.inputTokens() + a.outputTokens());
        smelt(o, a);
        return o;
    }

    private static void smelt(ObjectNode o, Answer a) {
        ObjectNode s = o.putObject("smelt").put("target", a.target()).put("cost_usd", a.costUsd());
        var e = s.putArray("escalations");
        a.escalations().forEach(e::add);
        if (!Double.isNaN(a.confidence())) {
            s.put("confidence", a.confidence());
        }
    }

    private static void send(OutputStream out, ObjectNode chunk) {
        try {
            out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("client went away", e);
        }
    }

    private void count(String target, java.math.BigDecimal cost, long t0) {
        Counter.builder("smelt_router_requests").tag("target", target).description("requests answered, by the target that answered")
                .register(metrics).increment();
        Counter.builder("smelt_router_cost_usd").tag("target", target).description("cost of answers in USD, by target")
                .register(metrics).increment(cost.doubleValue());
        Timer.builder("smelt_router_request_duration").tag("target", target).publishPercentiles(0.5, 0.95).register(metrics)
                .record(Duration.ofNanos(System.nanoTime() - t0));
    }

    private static void error(Context ctx, int status, String type, String message) {
        ObjectNode o = Canonical.JSON.createObjectNode();
        o.putObject("error").put("message", message).put("type", type).putNull("param").putNull("code");
        ctx.status(status).contentType("application/json").result(o.toString());
    }

    @Override
    public void close() {
        app.stop();
    }

    /** An HTTP error in OpenAI's format. */
    static final class ApiError extends RuntimeException {
        final int status;
        final String type;

        ApiError(int status, String type, String message) {
            super(message);
            this.status = status;
            this.type = type;
        }
    }
}
