package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * smelt's HTTP server: OpenAI-compatible endpoints over the models of a {@link ModelRegistry}, with
 * health, Prometheus metrics, API keys and optional CORS. Request logs carry route, status, model and
 * token counts, never prompt text (unless {@code logPrompts}). Owns the HTTP server and the registry.
 */
public final class SmeltServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SmeltServer.class);
    /** Largest accepted request body (OpenAI allows long prompts; bigger bodies get a 413). */
    static final long MAX_BODY_BYTES = 32L << 20;

    private final ServerConfig config;
    private final ModelRegistry models;
    private final ServerMetrics metrics;
    private final Javalin app;
    private final EmbeddingModels embeddings;
    private final ClassifierModels classifiers;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean ready;
    private volatile boolean shuttingDown;

    public SmeltServer(ServerConfig config, ModelRegistry models, Clock clock) {
        this(config, models, EmbeddingModels.none(), clock);
    }

    /** A server that also answers embedding requests for {@code embeddings}. */
    public SmeltServer(ServerConfig config, ModelRegistry models, EmbeddingModels embeddings, Clock clock) {
        this(config, models, embeddings, ClassifierModels.none(), clock);
    }

    /** A server that also answers embedding requests for {@code embeddings} and {@code /v1/classify} for {@code classifiers}. */
    public SmeltServer(ServerConfig config, ModelRegistry models, EmbeddingModels embeddings, ClassifierModels classifiers, Clock clock) {
        config.validate();
        this.embeddings = embeddings;
        this.classifiers = classifiers;
        this.config = config;
        this.models = models;
        this.metrics = new ServerMetrics(models);
        AtomicLong seeds = new AtomicLong(clock.millis());
        OpenAiHandlers openai = new OpenAiHandlers(models, clock, seeds::incrementAndGet);
        OllamaHandlers ollama = new OllamaHandlers(models, clock, seeds::incrementAndGet);
        this.app = Javalin.create(c -> {
            c.useVirtualThreads = true;
            c.showJavalinBanner = false;
            c.http.maxRequestSize = MAX_BODY_BYTES;
            c.startupWatcherEnabled = false;
            if (!config.corsOrigins().isEmpty()) {
                c.bundledPlugins.enableCors(cors -> cors.addRule(rule -> config.corsOrigins().forEach(rule::allowHost)));
            }
        });
        app.before(this::authenticate);
        app.after(this::logRequest);
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.warn("internal error on {}: {}", ctx.path(), e.toString());
            error(ctx, new ApiException(500, "server_error", "internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage(), null, null, null));
        });
        app.error(HttpStatus.NOT_FOUND, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, ApiException.notFound("unknown endpoint " + ctx.method() + " " + ctx.path(), null, "unknown_url"));
            }
        });
        app.error(HttpStatus.CONTENT_TOO_LARGE, ctx -> error(ctx, new ApiException(413, "invalid_request_error",
                "request body exceeds " + MAX_BODY_BYTES + " bytes", null, "request_too_large", null)));
        app.get("/health", ctx -> {
            if (ready) {
                ctx.json(java.util.Map.of("status", "ok"));
            } else {
                ctx.status(503).json(java.util.Map.of("status", "loading"));
            }
        });
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        app.get("/v1/models", this::listModels);
        app.post("/v1/completions", openai::completions);
        app.post("/v1/chat/completions", openai::chat);
        EmbeddingHandlers emb = new EmbeddingHandlers(embeddings);
        app.post("/v1/embeddings", emb::openAi);
        app.post("/api/embed", emb::ollamaEmbed);
        app.post("/api/embeddings", emb::ollamaEmbeddings);
        ClassifyHandlers cls = new ClassifyHandlers(classifiers, n -> models.canonical(n) != null || embeddings.resolve(n) != null
                || n.contains(ModelRegistry.ADAPTER_SEPARATOR) && models.canonical(n.substring(0, n.lastIndexOf(ModelRegistry.ADAPTER_SEPARATOR))) != null, clock);
        app.post("/v1/classify", cls::classify);
        app.post("/classify", cls::classify); // vLLM's path
        app.post("/api/chat", ollama::chat);
        app.post("/api/generate", ollama::generate);
        app.get("/api/tags", ollama::tags);
        app.post("/api/show", ollama::show);
        app.get("/api/ps", ollama::ps);
        app.get("/api/version", ollama::version);
    }

    private void authenticate(Context ctx) {
        ctx.attribute("smelt.start", System.nanoTime());
        if (ctx.method().name().equals("POST")) {
            inFlight.incrementAndGet();
            ctx.attribute("smelt.inflight", Boolean.TRUE);
            if (shuttingDown) {
                throw new ApiException(503, "server_error", "the server is shutting down; retry on another instance", null,
                        "server_shutting_down", 5);
            }
        }
        if (config.apiKeys().isEmpty() || ctx.path().equals("/health") || ctx.method().name().equals("OPTIONS")) {
            return;
        }
        String h = ctx.header("Authorization");
        String key = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : ctx.header("x-api-key");
        if (key == null || !config.apiKeys().contains(key)) {
            throw new ApiException(401, "authentication_error", key == null ? "missing API key: send 'Authorization: Bearer KEY'"
                    : "invalid API key", null, "invalid_api_key", null);
        }
    }

    private void listModels(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = o.putArray("data");
        for (String n : models.servedNames()) { // base models and their LoRA adapters as base+adapter
            data.addObject().put("id", n).put("object", "model").put("created", 0).put("owned_by", "smelt");
        }
        for (String n : embeddings.names()) {
            data.addObject().put("id", n).put("object", "model").put("created", 0).put("owned_by", "smelt");
        }
        for (String n : classifiers.names()) {
            data.addObject().put("id", n).put("object", "model").put("created", 0).put("owned_by", "smelt");
        }
        ctx.json(o);
    }

    /** One JSON log line per request (SLF4J): method, route, status, duration, model; the body only with logPrompts. */
    private void logRequest(Context ctx) {
        if (Boolean.TRUE.equals(ctx.attribute("smelt.inflight"))) {
            ctx.attribute("smelt.inflight", Boolean.FALSE);
            inFlight.decrementAndGet();
        }
        Long startAttr = ctx.attribute("smelt.start");
        long start = startAttr != null ? startAttr : System.nanoTime();
        Duration d = Duration.ofNanos(System.nanoTime() - start);
        String route = ctx.endpointHandlerPath();
        metrics.request(route, ctx.statusCode(), d);
        ObjectNode line = Json.MAPPER.createObjectNode().put("event", "http_request").put("method", ctx.method().name())
                .put("route", route).put("status", ctx.statusCode()).put("duration_ms", d.toMillis());
        String model = ctx.attribute("smelt.model");
        if (model != null) {
            line.put("model", model);
        }
        if (config.logPrompts()) {
            line.put("body", ctx.body());
        }
        LOG.info("{}", line);
    }

    static void error(Context ctx, ApiException e) {
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
        }
        if (ctx.path().startsWith("/api/")) { // Ollama's error shape
            ctx.status(e.status()).contentType("application/json")
                    .result(Json.MAPPER.createObjectNode().put("error", e.getMessage()).toString());
            return;
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        ObjectNode err = o.putObject("error");
        err.put("message", e.getMessage()).put("type", e.type());
        if (e.param() != null) {
            err.put("param", e.param());
        } else {
            err.putNull("param");
        }
        if (e.code() != null) {
            err.put("code", e.code());
        } else {
            err.putNull("code");
        }
        ctx.status(e.status()).contentType("application/json").result(o.toString());
    }

    /** Starts listening; returns the bound port. */
    public int start() {
        app.start(config.host(), config.port());
        ready = true;
        return app.port();
    }

    public int port() {
        return app.port();
    }

    public ModelRegistry models() {
        return models;
    }

    /** Requests being handled now (POSTs: completions, chats, generations). */
    public int inFlight() {
        return inFlight.get();
    }

    /** Graceful stop with the default grace period of 30 s. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /**
     * Graceful stop: new requests get 503 with Retry-After; in-flight ones may finish within
     * {@code grace}, then the rest are cancelled (streams end, slots are freed) and the server stops.
     */
    public void close(Duration grace) {
        ready = false;
        shuttingDown = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = inFlight.get();
        if (left > 0) {
            LOG.info("{}", Json.MAPPER.createObjectNode().put("event", "shutdown").put("cancelled_in_flight", left));
        }
        models.close(); // cancels what is still running: waiting handlers get their final event at once
        long end = System.nanoTime() + 2_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        app.stop();
        embeddings.close();
        classifiers.close();
        metrics.close();
    }
}
