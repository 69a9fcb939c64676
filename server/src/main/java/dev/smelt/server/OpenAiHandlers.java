package dev.smelt.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.time.Clock;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * /v1/completions and /v1/chat/completions: {@link OpenAiCodec} parses the body, {@link CompletionPipeline}
 * runs it, {@link OpenAiWriter} answers. Thread-safe (stateless per request).
 */
final class OpenAiHandlers {
    private final CompletionPipeline pipeline;
    private final Clock clock;
    private final LongSupplier seeds;

    OpenAiHandlers(CompletionPipeline pipeline, Clock clock, LongSupplier seeds) {
        this.pipeline = pipeline;
        this.clock = clock;
        this.seeds = seeds;
    }

    void completions(Context ctx) throws IOException {
        CompletionRequest r = OpenAiCodec.completions(StoredDefaults.apply(pipeline.models(), Json.parseObject(ctx),
                StoredDefaults.Api.OPENAI_COMPLETIONS), seeds.getAsLong());
        pipeline.run(ctx, r, (model, echo) -> writer("cmpl-", model, false, r, echo));
    }

    void chat(Context ctx) throws IOException {
        CompletionRequest r = OpenAiCodec.chat(StoredDefaults.apply(pipeline.models(), Json.parseObject(ctx), StoredDefaults.Api.OPENAI_CHAT),
                seeds.getAsLong());
        pipeline.run(ctx, r, (model, echo) -> writer("chatcmpl-", model, true, r, echo));
    }

    private OpenAiWriter writer(String idPrefix, String model, boolean chat, CompletionRequest r, String echo) {
        return new OpenAiWriter(idPrefix + UUID.randomUUID().toString().replace("-", "").substring(0, 24), clock.millis() / 1000, model,
                chat, r.logprobs(), echo, r.includeUsage());
    }
}
