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
    private volatile boolean ready;

    public SmeltServer(ServerConfig config, ModelRegistry models, Clock clock) {
        this(config, models, EmbeddingModels.none(), clock);
    }

    /** A server that also answers embedding requests for {@code embeddings}. */
    public SmeltServer(ServerConfig config, ModelRegistry models, EmbeddingModels embeddings, Clock clock) {
        config.validate();
        this.embeddings = embeddings;
        this.config = config;
        this.models = models;
        this.metrics = new ServerMetrics(models);
        AtomicLong seeds = new AtomicLong(clock.millis());
        OpenAiHandlers openai = new OpenAiHandlers(models, clock, seeds::incrementAndGet);
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
        app.after(ctx -> {
            Long startAttr = ctx.attribute("smelt.start");
            long start = startAttr != null ? startAttr : System.nanoTime();
            Duration d = Duration.ofNanos(System.nanoTime() - start);
            String route = ctx.endpointHandlerPath();
            metrics.request(route, ctx.statusCode(), d);
            LOG.info("{} {} -> {} in {} ms{}", ctx.method(), route, ctx.statusCode(), d.toMillis(),
                    config.logPrompts() ? " body=" + ctx.body() : "");
        });
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
    }

    private void authenticate(Context ctx) {
        ctx.attribute("smelt.start", System.nanoTime());
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
        for (String n : models.names()) {
            data.addObject().put("id", n).put("object", "model").put("created", 0).put("owned_by", "smelt");
        }
        for (String n : embeddings.names()) {
            data.addObject().put("id", n).put("object", "model").put("created", 0).put("owned_by", "smelt");
        }
        ctx.json(o);
    }

    static void error(Context ctx, ApiException e) {
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
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
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

    /** Graceful stop: refuse new work, let in-flight requests finish (bounded), then close. */
    @Override
    public void close() {
        ready = false;
        app.stop();
        models.close();
        embeddings.close();
    }
}
