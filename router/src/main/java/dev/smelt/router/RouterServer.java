package dev.smelt.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.http.HttpApp;
import dev.smelt.server.http.HttpSettings;
import dev.smelt.server.http.RequestLog;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One OpenAI-compatible endpoint in front of a {@link Router}: {@code POST /v1/chat/completions}
 * (also streamed as server-sent events), {@code GET /v1/models}, {@code /health}, Prometheus
 * {@code /metrics}. Every answer says which target answered and what it cost: headers
 * {@code X-Smelt-Target}, {@code X-Smelt-Cost-USD}, {@code X-Smelt-Escalations} and a {@code smelt}
 * object in the body (streams carry it in the last chunk, since headers go out before the target is
 * known). When a target the policy escalated to fails (or the budget skips it), the answer that stands says so:
 * {@code smelt.unavailable}, {@code smelt.warning} and {@code X-Smelt-Unavailable}. A fallback after a mid-stream failure that cannot continue the streamed text sends a chunk
 * {@code {"smelt_restart": REASON}}: the client should drop what it has and take what follows.
 * The web pages are {@code smelt serve}'s, with the router dashboard at {@code /dashboard}, live from
 * {@code GET /api/smelt/router/stats} ({@link RouterStats}, a {@link dev.smelt.server.http.SampleStream}).
 * Auth, the Host check, content types, the error shape and the request log are {@code smelt serve}'s
 * ({@link HttpApp}). Thread-safe; owns the HTTP server (not the router).
 */
public final class RouterServer implements AutoCloseable {
    /** The router dashboard's Server-Sent Events stream of {@link RouterStats}. */
    public static final String STATS_PATH = "/api/smelt/router/stats";
    /** Answer budget when a request sets no max_tokens. */
    static final int DEFAULT_MAX_TOKENS = 256;

    private final Router router;
    private final HttpSettings http;
    private final String modelName;
    private final Clock clock;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Javalin app;
    private final long startedAt; // "created" of the router model: when this server started
    private final RouterStats stats;
    private final dev.smelt.server.http.SampleStream statsStream;

    /**
     * @param http      where to listen and who may call (the same rules as {@code smelt serve})
     * @param modelName the model name answers carry and {@code /v1/models} lists ({@code smelt route --name})
     */
    public RouterServer(Router router, HttpSettings http, String modelName, Clock clock) {
        this.router = router;
        this.http = http;
        this.modelName = modelName;
        this.clock = clock;
        this.startedAt = clock.instant().getEpochSecond();
        this.app = HttpApp.create(http, RequestLog.stderr(clock));
        app.get("/health", ctx -> HttpApp.health(ctx, true, "ok"));
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        app.get("/v1/models", ctx -> {
            ObjectNode o = Canonical.JSON.createObjectNode().put("object", "list");
            o.putArray("data").add(modelObject());
            ctx.contentType("application/json").result(o.toString());
        });
        app.get("/v1/models/{id}", ctx -> {
            if (!ctx.pathParam("id").equals(modelName)) {
                throw ApiException.notFound("The model '" + ctx.pathParam("id") + "' does not exist; this router serves '" + modelName + "'",
                        "model", "model_not_found");
            }
            ctx.contentType("application/json").result(modelObject().toString());
        });
        app.post("/v1/chat/completions", this::chat);
        this.stats = new RouterStats(router);
        this.statsStream = new dev.smelt.server.http.SampleStream(STATS_PATH, dev.smelt.server.http.SampleStream.DEFAULT_PERIOD, () -> {
            long[] after = {0}; // each connection gets every kept point once, then only new ones
            return () -> {
                ObjectNode s = stats.sample(after[0]);
                after[0] = s.get("requests").asLong();
                return s;
            };
        });
        app.get(STATS_PATH, statsStream::handle);
        dev.smelt.server.web.WebUi.install(app, dev.smelt.server.web.WebUi.ROUTER_DASHBOARD);
        dev.smelt.server.web.OpenApi.install(app, "smelt route");
    }

    /**
     * Adds the Runs page's API over the training runs and eval results under {@code dir} ({@code smelt route --runs DIR});
     * call before {@link #start}.
     *
     * @throws IllegalArgumentException when {@code dir} is not a folder
     */
    public RouterServer enableRuns(java.nio.file.Path dir) {
        dev.smelt.server.web.RunsApi.install(app, new dev.smelt.server.web.RunsDirectory(dir));
        return this;
    }

    /** Starts listening on the settings' host and port (0 = any free port); returns the port. */
    public int start() {
        return HttpApp.start(app, http.host(), http.port());
    }

    /** The default model name of a router file: its base name ({@code router.yaml} → {@code router}). */
    public static String defaultName(java.nio.file.Path routerFile) {
        String n = routerFile.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** The name answers carry. */
    public String modelName() {
        return modelName;
    }

    private ObjectNode modelObject() {
        return Canonical.JSON.createObjectNode().put("id", modelName).put("object", "model").put("created", startedAt)
                .put("owned_by", "smelt");
    }

    private void chat(Context ctx) throws Exception {
        long t0 = System.nanoTime();
        ObjectNode body = HttpApp.jsonBody(ctx);
        if (!body.path("messages").isArray() || body.path("messages").isEmpty()) {
            throw ApiException.badRequest("'messages' must be a non-empty array", "messages");
        }
        List<Map<String, String>> msgs = new ArrayList<>();
        String input = null;
        int i = 0;
        for (JsonNode m : body.get("messages")) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw ApiException.badRequest("messages[" + i + "] needs a string 'role' and a string 'content'", "messages");
            }
            msgs.add(Map.of("role", m.get("role").asText(), "content", m.get("content").asText()));
            if (m.get("role").asText().equals("user")) {
                input = m.get("content").asText();
            }
            i++;
        }
        if (input == null) {
            throw ApiException.badRequest("no user message to route", "messages");
        }
        int maxTokens = maxTokens(body);
        boolean stream = body.hasNonNull("stream") && bool(body, "stream");
        Query q = new Query("http", input, msgs, maxTokens);
        Reply reply = new Reply("chatcmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24), clock.instant().getEpochSecond());
        ctx.attribute(HttpApp.MODEL_ATTRIBUTE, modelName);
        if (stream) {
            stream(ctx, q, reply, t0);
            return;
        }
        Answer a;
        Router.Trace trace = new Router.Trace();
        try {
            a = router.answer(q, null, null, trace);
        } catch (Router.RouterException e) {
            count(q, null, trace, t0);
            throw new ApiException(502, "upstream_error", e.getMessage(), null, null, null);
        }
        count(q, a, trace, t0);
        ObjectNode o = completion(reply, a);
        ctx.header("X-Smelt-Target", a.target()).header("X-Smelt-Cost-USD", a.costUsd().toPlainString())
                .header("X-Smelt-Escalations", String.join(",", a.escalations()));
        if (!unavailable(a).isEmpty()) {
            ctx.header("X-Smelt-Unavailable", String.join(",", unavailable(a)));
        }
        ctx.contentType("application/json").result(o.toString());
    }

    /** The id and creation time every object of one answer carries. */
    private record Reply(String id, long created) {
    }

    private static int maxTokens(JsonNode body) {
        String field = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return DEFAULT_MAX_TOKENS;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw ApiException.badRequest("'" + field + "' must be an integer >= 1, got " + v, field);
        }
        return v.asInt();
    }

    private static boolean bool(JsonNode body, String field) {
        if (!body.get(field).isBoolean()) {
            throw ApiException.badRequest("'" + field + "' must be a boolean, got " + body.get(field), field);
        }
        return body.get(field).asBoolean();
    }

    private void stream(Context ctx, Query q, Reply reply, long t0) throws IOException {
        Router.Trace trace = new Router.Trace();
        ctx.res().setStatus(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setHeader("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        try {
            Answer a = router.answer(q, d -> send(out, chunk(reply, Map.of("content", d), null)), reason -> {
                ObjectNode r = header(reply, "chat.completion.chunk").put("smelt_restart", reason);
                r.putArray("choices");
                send(out, r);
            }, trace);
            ObjectNode last = chunk(reply, Map.of(), "stop");
            smelt(last, a);
            last.putObject("usage").put("prompt_tokens", a.inputTokens()).put("completion_tokens", a.outputTokens())
                    .put("total_tokens", a.inputTokens() + a.outputTokens());
            send(out, last);
            count(q, a, trace, t0);
        } catch (Exception e) {
            count(q, null, trace, t0);
            ObjectNode err = Canonical.JSON.createObjectNode();
            err.putObject("error").put("message", e.getMessage()).put("type", "upstream_error");
            send(out, err);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode header(Reply reply, String object) {
        return Canonical.JSON.createObjectNode().put("id", reply.id()).put("object", object).put("created", reply.created())
                .put("model", modelName);
    }

    private ObjectNode chunk(Reply reply, Map<String, String> delta, String finish) {
        ObjectNode o = header(reply, "chat.completion.chunk");
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

    private ObjectNode completion(Reply reply, Answer a) {
        ObjectNode o = header(reply, "chat.completion");
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
        List<String> down = unavailable(a);
        if (!down.isEmpty()) {
            // the policy wanted a better answer than this one and could not get it: say so rather than pass it off as routed
            s.putArray("unavailable").addAll(down.stream().map(com.fasterxml.jackson.databind.node.TextNode::valueOf).toList());
            s.put("warning", String.join(", ", down) + " unavailable (it failed or was skipped); this is " + a.target()
                    + "'s answer, which the router would have checked with " + String.join(", ", down));
        }
    }

    /** Targets the router tried after the answering one and could not use (escalations marked "(error)" or "(budget)"). */
    static List<String> unavailable(Answer a) {
        return a.escalations().stream().filter(p -> p.endsWith("(error)") || p.endsWith("(budget)"))
                .map(p -> p.substring(0, p.lastIndexOf('('))).distinct().toList();
    }

    private static void send(OutputStream out, ObjectNode chunk) {
        try {
            out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("client went away", e);
        }
    }

    /** Counts one request in the Prometheus metrics and the dashboard's stats; {@code a} is null when it failed. */
    private void count(Query q, Answer a, Router.Trace trace, long t0) {
        long nanos = System.nanoTime() - t0;
        stats.record(clock.instant(), q.input(), a, trace, nanos);
        String target = a == null ? "error" : a.target();
        java.math.BigDecimal cost = a == null ? java.math.BigDecimal.ZERO : a.costUsd();
        Counter.builder("smelt_router_requests").tag("target", target).description("requests answered, by the target that answered")
                .register(metrics).increment();
        Counter.builder("smelt_router_cost_usd").tag("target", target).description("cost of answers in USD, by target")
                .register(metrics).increment(cost.doubleValue());
        Timer.builder("smelt_router_request_duration").tag("target", target).publishPercentiles(0.5, 0.95).register(metrics)
                .record(Duration.ofNanos(nanos));
    }

    @Override
    public void close() {
        statsStream.close();
        app.stop();
    }
}
