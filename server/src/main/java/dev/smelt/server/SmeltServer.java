package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.http.HttpApp;
import dev.smelt.server.http.RequestLog;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * smelt's HTTP server: OpenAI- and Ollama-compatible endpoints over the models of a {@link ModelRegistry}
 * (completions through one {@link CompletionPipeline}), embeddings and classifiers, with health, Prometheus
 * metrics and graceful shutdown. Keys, the Host check, content types, error shapes and the JSON request log
 * are the rules every smelt server shares ({@link HttpApp}). Owns the HTTP server and the registries.
 */
public final class SmeltServer implements AutoCloseable {

    private final ServerConfig config;
    private final ModelRegistry models;
    private final ServerMetrics metrics;
    private final EngineWatchdog watchdog;
    private final LiveStats liveStats;
    private final Javalin app;
    private final RequestLog log;
    private final EmbeddingModels embeddings;
    private final ClassifierModels classifiers;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final long startedAt;
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
        this.watchdog = new EngineWatchdog(models, EngineWatchdog.DEFAULT_STALL);
        this.metrics = new ServerMetrics(models, watchdog);
        this.startedAt = clock.instant().getEpochSecond();
        AtomicLong seeds = new AtomicLong(clock.millis());
        CompletionPipeline pipeline = new CompletionPipeline(models);
        OpenAiHandlers openai = new OpenAiHandlers(pipeline, clock, seeds::incrementAndGet);
        OllamaHandlers ollama = new OllamaHandlers(pipeline, clock, seeds::incrementAndGet);
        OllamaListings listings = new OllamaListings(models, embeddings, clock);
        this.log = RequestLog.stderr(clock);
        this.app = HttpApp.create(config.http(), log);
        app.before(this::admit);
        app.after(this::finished);
        app.get("/health", this::health);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        app.get("/v1/models", this::listModels);
        app.get("/v1/models/{id}", this::getModel);
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
        app.get("/api/tags", listings::tags);
        app.post("/api/show", listings::show);
        app.get("/api/ps", listings::ps);
        app.get("/api/version", ollama::version);
        this.liveStats = new LiveStats(models, watchdog, config.slots(), System::nanoTime, LiveStats.DEFAULT_PERIOD);
        app.get("/api/smelt/stats", liveStats::handle);
        dev.smelt.server.web.WebUi.install(app);
        dev.smelt.server.web.OpenApi.install(app, "smelt serve");
    }

    /**
     * Adds Ollama's model management (/api/pull, /api/delete, /api/copy, /api/create) over the registry's model store,
     * pulling from {@code hub}; call before {@link #start}. Without it those paths are 404s.
     *
     * @throws IllegalStateException when the registry has no store
     */
    public SmeltServer enableStore(dev.smelt.model.hub.ModelDownloader hub) {
        if (models.store() == null) {
            throw new IllegalStateException("the models are not served from a model store");
        }
        OllamaStore s = new OllamaStore(models.store(), hub, models);
        app.post("/api/pull", s::pull);
        app.delete("/api/delete", s::delete);
        app.post("/api/copy", s::copy);
        app.post("/api/create", s::create);
        return this;
    }

    /**
     * Adds the Runs page's API over the training runs and eval results under {@code dir} ({@code smelt serve --runs DIR});
     * call before {@link #start}.
     *
     * @throws IllegalArgumentException when {@code dir} is not a folder
     */
    public SmeltServer enableRuns(java.nio.file.Path dir) {
        dev.smelt.server.web.RunsApi.install(app, new dev.smelt.server.web.RunsDirectory(dir));
        return this;
    }

    /** Counts in-flight POSTs (graceful shutdown waits for them) and refuses new ones while shutting down. */
    private void admit(Context ctx) {
        if (ctx.method().name().equals("POST")) {
            inFlight.incrementAndGet();
            ctx.attribute("smelt.inflight", Boolean.TRUE);
            if (shuttingDown) {
                throw new ApiException(503, "server_error", "the server is shutting down; retry on another instance", null,
                        "server_shutting_down", 5);
            }
        }
    }

    private void listModels(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("object", "list");
        o.putArray("data").addAll(modelObjects().values());
        ctx.json(o);
    }

    /** OpenAI's {@code GET /v1/models/{id}} ({@code models.retrieve}); aliases and {@code name:latest} resolve too. */
    private void getModel(Context ctx) {
        String id = ctx.pathParam("id");
        Map<String, ObjectNode> all = modelObjects();
        String canonical = models.canonical(id);
        String known = all.containsKey(id) ? id : canonical != null && all.containsKey(canonical) ? canonical
                : embeddings.resolve(id) != null ? embeddings.resolve(id) : null;
        if (known == null) {
            throw ApiException.notFound("The model '" + id + "' does not exist; available: " + String.join(", ", all.keySet()), "model",
                    "model_not_found");
        }
        ctx.json(all.get(known).deepCopy().put("id", id));
    }

    /** Every served model by id: chat models and their adapters, embedders, classifiers; {@code created} is the file's time. */
    private Map<String, ObjectNode> modelObjects() {
        Map<String, ObjectNode> out = new java.util.LinkedHashMap<>();
        for (String n : models.servedNames()) { // base models and their LoRA adapters as base+adapter
            int plus = n.indexOf(ModelRegistry.ADAPTER_SEPARATOR);
            out.put(n, modelObject(n, plus < 0 ? models.file(n) : models.adapterFile(n.substring(0, plus), n.substring(plus + 1))));
        }
        for (String n : embeddings.names()) {
            out.put(n, modelObject(n, embeddings.file(n)));
        }
        for (String n : classifiers.names()) {
            out.put(n, modelObject(n, classifiers.file(n)));
        }
        if (models.store() != null) { // stored models are served on request: list them as Ollama's /api/tags does
            try {
                for (dev.smelt.model.store.StoredModel st : models.store().list()) {
                    out.putIfAbsent(st.name().servedName(), modelObject(st.name().servedName(), st.model()));
                }
            } catch (java.io.IOException e) {
                throw new ApiException(500, "server_error", "cannot read the model store " + models.store().root() + ": " + e.getMessage(),
                        null, null, null);
            }
        }
        return out;
    }

    private ObjectNode modelObject(String id, java.nio.file.Path file) {
        long created = startedAt; // built-in models have no file: the time this server started serving them
        if (file != null) {
            try {
                created = java.nio.file.Files.getLastModifiedTime(file).toInstant().getEpochSecond();
            } catch (java.io.IOException e) {
                // a file removed after startup: keep the start time
            }
        }
        return Json.MAPPER.createObjectNode().put("id", id).put("object", "model").put("created", created).put("owned_by", "smelt");
    }

    /** 200 {"status":"ok"}; 503 while loading, and while an engine has stopped or is wedged ({@link EngineWatchdog}). */
    private void health(Context ctx) {
        java.util.List<String> problems = ready ? watchdog.problems() : java.util.List.of();
        if (problems.isEmpty()) {
            HttpApp.health(ctx, ready, "loading");
            return;
        }
        ObjectNode o = Json.MAPPER.createObjectNode().put("status", "error");
        problems.forEach(o.putArray("problems")::add);
        ctx.status(503).json(o);
    }

    /** Ends an in-flight request and records its metrics (the shared rules write its log line). */
    private void finished(Context ctx) {
        if (Boolean.TRUE.equals(ctx.attribute("smelt.inflight"))) {
            ctx.attribute("smelt.inflight", Boolean.FALSE);
            inFlight.decrementAndGet();
        }
        metrics.request(ctx.endpointHandlerPath(), ctx.statusCode(), HttpApp.elapsed(ctx));
    }

    /** Starts listening; returns the bound port. */
    public int start() {
        int port = HttpApp.start(app, config.host(), config.port());
        ready = true;
        return port;
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
        liveStats.close();
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
            log.write(log.event("shutdown").put("cancelled_in_flight", left));
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
