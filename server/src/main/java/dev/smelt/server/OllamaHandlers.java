package dev.smelt.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Ollama's native API: /api/chat and /api/generate ({@link OllamaCodec} parses, {@link CompletionPipeline}
 * runs, {@link OllamaWriter} answers: NDJSON streaming by default, {@code stream: false} for one object)
 * and /api/version; the model listings are {@link OllamaListings}. Errors are Ollama's {@code {"error": "..."}}
 * ({@link dev.smelt.server.http.HttpApp}). Thread-safe.
 */
final class OllamaHandlers {
    /** The Ollama API version we follow (clients check it for feature support). */
    static final String VERSION = "0.6.0";

    private final CompletionPipeline pipeline;
    private final Clock clock;
    private final LongSupplier seeds;

    OllamaHandlers(CompletionPipeline pipeline, Clock clock, LongSupplier seeds) {
        this.pipeline = pipeline;
        this.clock = clock;
        this.seeds = seeds;
    }

    void version(Context ctx) {
        ctx.json(Map.of("version", VERSION));
    }

    void chat(Context ctx) throws IOException {
        CompletionRequest r = OllamaCodec.chat(StoredDefaults.apply(pipeline.models(), Json.parseObject(ctx), StoredDefaults.Api.OLLAMA_CHAT),
                seeds.getAsLong());
        pipeline.run(ctx, r, (model, echo) -> new OllamaWriter(model, true, clock));
    }

    void generate(Context ctx) throws IOException {
        CompletionRequest r = OllamaCodec.generate(StoredDefaults.apply(pipeline.models(), Json.parseObject(ctx),
                StoredDefaults.Api.OLLAMA_GENERATE), seeds.getAsLong());
        pipeline.run(ctx, r, (model, echo) -> new OllamaWriter(model, false, clock));
    }
}
