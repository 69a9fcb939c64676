package dev.smelt.server;

import dev.smelt.server.http.ApiException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.arch.ContextOverflowException;
import dev.smelt.runtime.constrain.JsonConstraint;
import dev.smelt.runtime.constrain.Node;
import dev.smelt.runtime.constrain.SchemaCompiler;
import dev.smelt.runtime.constrain.SchemaException;
import dev.smelt.runtime.constrain.TokenConstraint;
import dev.smelt.runtime.engine.QueueFullException;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.server.tools.FallbackToolPrompt;
import dev.smelt.server.tools.ParsedOutput;
import dev.smelt.server.tools.ToolFormat;
import dev.smelt.server.tools.ToolRequest;
import dev.smelt.server.tools.ToolStreamFilter;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * /v1/completions and /v1/chat/completions: request validation, running a {@link CompletionJob}, and
 * writing the answer as one JSON object or as SSE chunks ({@code data: …}, {@code data: [DONE]},
 * {@code :} keep-alive comments while the prompt is processed). Thread-safe (stateless per request).
 */
final class OpenAiHandlers {
    /** Keep-alive comment interval while no token has come yet (long prompts). */
    static final long KEEP_ALIVE_MILLIS = 5_000;
    static final int MAX_N = 8;
    /** Blank bytes allowed between JSON tokens of a forced tool call: one, enough for "a": 1 style, no runs of newlines. */
    static final int TOOL_CALL_WHITESPACE = 1;

    private final ModelRegistry models;
    private final Clock clock;
    private final LongSupplier seeds;

    OpenAiHandlers(ModelRegistry models, Clock clock, LongSupplier seeds) {
        this.models = models;
        this.clock = clock;
        this.seeds = seeds;
    }

    void completions(Context ctx) throws IOException {
        ObjectNode body = Json.parseObject(ctx);
        try (ModelRegistry.Lease lease = models.acquire(requireModel(body))) {
            ctx.attribute("smelt.model", lease.servedName());
            ctx.attribute(ADAPTER_ATTRIBUTE, lease.adapter());
            completions(ctx, body, lease.model());
        }
    }

    private void completions(Context ctx, ObjectNode body, ServedModel m) throws IOException {
        JsonNode p = body.get("prompt");
        int[] prompt;
        if (p == null || p.isNull()) {
            throw ApiException.badRequest("'prompt' is required", "prompt");
        } else if (p.isTextual()) {
            prompt = m.codec().encode(p.asText(), true);
        } else if (p.isArray() && !p.isEmpty() && p.get(0).isIntegralNumber()) {
            prompt = new int[p.size()];
            for (int i = 0; i < prompt.length; i++) {
                if (!p.get(i).isIntegralNumber()) {
                    throw ApiException.badRequest("'prompt' token arrays must hold integers only", "prompt");
                }
                prompt[i] = p.get(i).asInt();
            }
        } else {
            throw ApiException.badRequest("'prompt' must be a string or an array of token ids", "prompt");
        }
        Integer logprobs = Json.integer(body, "logprobs", null, 0, 5);
        run(ctx, body, m, prompt, false, logprobs == null ? -1 : logprobs, Json.integer(body, "max_tokens", 16, 0, Integer.MAX_VALUE), null);
    }

    void chat(Context ctx) throws IOException {
        ObjectNode body = Json.parseObject(ctx);
        try (ModelRegistry.Lease lease = models.acquire(requireModel(body))) {
            ctx.attribute("smelt.model", lease.servedName());
            ctx.attribute(ADAPTER_ATTRIBUTE, lease.adapter());
            chat(ctx, body, lease.model());
        }
    }

    private void chat(Context ctx, ObjectNode body, ServedModel m) throws IOException {
        List<Map<String, Object>> messages = ChatMessages.parse(body.get("messages"));
        if (m.chat() == null) {
            throw ApiException.badRequest("model '" + m.name() + "' has no chat template; use /v1/completions", "model");
        }
        ToolRequest tools = ToolRequest.parse(body, Json.MAPPER);
        List<Map<String, Object>> templateTools = tools.active() ? tools.raw() : null;
        if (!m.nativeTools()) {
            messages = FallbackToolPrompt.rewrite(messages, templateTools);
            templateTools = null;
        }
        String text = m.chat().render(messages, templateTools, true);
        Tooling tooling = null;
        if (tools.active() || tools.forced()) {
            tooling = new Tooling(tools, m.toolFormat(), tools.forced() ? m.toolFormat().forcedPrefix() : "",
                    "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
            text += tooling.forcedPrefix();
        }
        int[] prompt = m.codec().encode(text, false);
        boolean lp = Json.bool(body, "logprobs", false);
        Integer top = Json.integer(body, "top_logprobs", null, 0, 20);
        if (top != null && !lp) {
            throw ApiException.badRequest("'top_logprobs' requires 'logprobs': true", "top_logprobs");
        }
        Integer max = Json.integer(body, "max_completion_tokens", null, 0, Integer.MAX_VALUE);
        if (max == null) {
            max = Json.integer(body, "max_tokens", null, 0, Integer.MAX_VALUE);
        }
        run(ctx, body, m, prompt, true, lp ? (top == null ? 0 : top) : -1, max, tooling);
    }

    /** Tool calling for one request: what was asked, the model's format, the prompt prefill of a forced call. */
    record Tooling(ToolRequest request, ToolFormat format, String forcedPrefix, String idPrefix) {
        ToolStreamFilter filter() {
            return new ToolStreamFilter(format, forcedPrefix);
        }

        /** Applies parallel_tool_calls=false: only the first call is kept. */
        ParsedOutput limit(ParsedOutput p) {
            if (request.parallel() || p.calls().size() <= 1) {
                return p;
            }
            return new ParsedOutput(p.content(), p.calls().subList(0, 1));
        }
    }

    private static String requireModel(JsonNode body) {
        String model = Json.string(body, "model", null);
        if (model == null || model.isBlank()) {
            throw ApiException.badRequest("'model' is required", "model");
        }
        return withAdapter(body, model);
    }

    /** The name responses report: what the lease resolved ({@code base+adapter} for an adapter), else the model's. */
    static String servedName(Context ctx, ServedModel m) {
        String n = ctx.attribute("smelt.model");
        return n != null ? n : m.name();
    }

    /** Request attribute holding the lease's LoRA adapter id (0 = base). */
    static final String ADAPTER_ATTRIBUTE = "smelt.adapter";

    /** The adapter id the request's lease selected. */
    static int adapterOf(Context ctx) {
        Integer id = ctx.attribute(ADAPTER_ATTRIBUTE);
        return id == null ? 0 : id;
    }

    /** {@code model} with the optional {@code adapter} field folded in as {@code model+adapter}. */
    static String withAdapter(JsonNode body, String model) {
        JsonNode a = body.get("adapter");
        if (a == null || a.isNull()) {
            return model;
        }
        if (!a.isTextual() || a.asText().isBlank()) {
            throw ApiException.badRequest("'adapter' must be a non-empty string naming one of the model's LoRA adapters", "adapter");
        }
        if (model.contains(ModelRegistry.ADAPTER_SEPARATOR) && !model.endsWith(ModelRegistry.ADAPTER_SEPARATOR + a.asText())) {
            throw ApiException.badRequest("'model' " + model + " already names an adapter; 'adapter' " + a.asText() + " contradicts it", "adapter");
        }
        return model.endsWith(ModelRegistry.ADAPTER_SEPARATOR + a.asText()) ? model : model + ModelRegistry.ADAPTER_SEPARATOR + a.asText();
    }

    private void run(Context ctx, ObjectNode body, ServedModel m, int[] prompt, boolean chat, int logprobs, Integer maxTokens,
                     Tooling tooling) throws IOException {
        int ctxSize = m.engine().contextPerSlot();
        if (prompt.length == 0) {
            throw ApiException.badRequest("the prompt is empty after tokenization", chat ? "messages" : "prompt");
        }
        if (prompt.length >= ctxSize) {
            throw new ApiException(400, "invalid_request_error", "the prompt has " + prompt.length + " tokens but the context is "
                    + ctxSize + " tokens; shorten it (smelt never truncates silently)", chat ? "messages" : "prompt", "context_length_exceeded", null);
        }
        int max = maxTokens == null ? ctxSize - prompt.length : maxTokens;
        SamplerConfig sampling = SamplingParams.from(body, seeds.getAsLong());
        int n = Json.integer(body, "n", 1, 1, MAX_N);
        boolean stream = Json.bool(body, "stream", false);
        boolean includeUsage = stream && body.path("stream_options").path("include_usage").asBoolean(false);
        List<String> stops = Json.stops(body);
        java.util.function.Supplier<TokenConstraint> constraints = tooling != null && tooling.request().forced()
                ? toolConstraint(tooling, m) : structuredOutput(body, m);
        CompletionJob job;
        try {
            job = new CompletionJob(m, prompt, sampling, max, stops, n, logprobs, constraints,
                    tooling != null ? m.markerTokens() : java.util.Set.of(), adapterOf(ctx));
        } catch (ContextOverflowException e) {
            throw new ApiException(400, "invalid_request_error", e.getMessage(), "max_tokens", "context_length_exceeded", null);
        } catch (QueueFullException e) {
            throw new ApiException(429, "rate_limit_error", e.getMessage(), null, "rate_limit_exceeded", 1);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage(), chat ? "messages" : "prompt");
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        long created = clock.millis() / 1000;
        ResponseWriter w = new ResponseWriter(id, created, servedName(ctx, m), chat, logprobs);
        if (stream) {
            streamOut(ctx, job, n, w, includeUsage, tooling);
        } else {
            collect(ctx, job, n, w, tooling);
        }
    }

    private void collect(Context ctx, CompletionJob job, int n, ResponseWriter w, Tooling tooling) {
        StringBuilder[] texts = new StringBuilder[n];
        List<List<CompletionJob.TokenLogprob>> lps = new ArrayList<>();
        String[] finish = new String[n];
        int completion = 0;
        for (int i = 0; i < n; i++) {
            texts[i] = new StringBuilder();
            lps.add(new ArrayList<>());
        }
        int done = 0;
        ClientConnection conn = ClientConnection.of(ctx);
        try {
            while (done < n) {
                CompletionJob.Event e = job.events.poll(ClientConnection.CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (conn.due() && conn.closed()) { // checked by time: tokens keep arriving while the client is gone
                    job.cancel(); // client went away: free the slots at once
                    ctx.status(499); // nginx's "client closed request", for the request log; nobody reads it
                    return;
                }
                if (e == null) {
                    continue;
                }
                switch (e) {
                    case CompletionJob.Delta d -> {
                        texts[d.index()].append(d.text());
                        lps.get(d.index()).addAll(d.logprobs());
                    }
                    case CompletionJob.Done d -> {
                        if (d.error() != null) {
                            job.cancel();
                            throw new ApiException(500, "server_error", "generation failed: " + d.error().getMessage(), null, null, null);
                        }
                        finish[d.index()] = ResponseWriter.finishReason(d.finishReason());
                        completion += d.completionTokens();
                        done++;
                    }
                }
            }
        } catch (InterruptedException ie) {
            job.cancel();
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", "interrupted", null, null, null);
        }
        ParsedOutput[] parsed = null;
        if (tooling != null) {
            parsed = new ParsedOutput[n];
            for (int i = 0; i < n; i++) {
                parsed[i] = tooling.limit(tooling.format().parse(tooling.forcedPrefix() + texts[i], tooling.idPrefix() + i));
                if (!parsed[i].calls().isEmpty()) {
                    finish[i] = "tool_calls";
                }
            }
        }
        ctx.contentType("application/json").result(w.full(texts, parsed, lps, finish, job.promptTokens, completion).toString());
    }

    private void streamOut(Context ctx, CompletionJob job, int n, ResponseWriter w, boolean includeUsage, Tooling tooling)
            throws IOException {
        ctx.res().setStatus(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        OutputStream out = ctx.res().getOutputStream();
        int done = 0;
        int completion = 0;
        boolean[] started = new boolean[n];
        ToolStreamFilter[] filters = new ToolStreamFilter[n];
        for (int i = 0; i < n && tooling != null; i++) {
            filters[i] = tooling.filter();
        }
        try {
            if (w.chat()) {
                for (int i = 0; i < n; i++) {
                    send(out, w.roleChunk(i));
                    started[i] = true;
                }
            }
            while (done < n) {
                CompletionJob.Event e = job.events.poll(KEEP_ALIVE_MILLIS, TimeUnit.MILLISECONDS);
                if (e == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    continue;
                }
                switch (e) {
                    case CompletionJob.Delta d -> {
                        String text = filters[d.index()] == null ? d.text() : filters[d.index()].push(d.text());
                        if (!text.isEmpty() || (w.logprobs() >= 0 && !d.logprobs().isEmpty())) {
                            send(out, w.deltaChunk(d.index(), text, d.logprobs()));
                        }
                    }
                    case CompletionJob.Done d -> {
                        if (d.error() != null) {
                            ObjectNode err = Json.MAPPER.createObjectNode();
                            err.putObject("error").put("message", "generation failed: " + d.error().getMessage()).put("type", "server_error");
                            send(out, err);
                            job.cancel();
                            done = n;
                            break;
                        }
                        completion += d.completionTokens();
                        String reason = ResponseWriter.finishReason(d.finishReason());
                        if (filters[d.index()] != null) {
                            ParsedOutput p = tooling.limit(filters[d.index()].finish(tooling.idPrefix() + d.index()));
                            if (p.content() != null && !p.content().isEmpty()) {
                                send(out, w.deltaChunk(d.index(), p.content(), List.of()));
                            }
                            for (int k = 0; k < p.calls().size(); k++) {
                                send(out, w.toolCallStartChunk(d.index(), k, p.calls().get(k)));
                                send(out, w.toolCallArgumentsChunk(d.index(), k, p.calls().get(k).arguments()));
                            }
                            if (!p.calls().isEmpty()) {
                                reason = "tool_calls";
                            }
                        }
                        send(out, w.finishChunk(d.index(), reason));
                        done++;
                    }
                }
            }
            if (includeUsage) {
                send(out, w.usageChunk(job.promptTokens, completion));
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            // Completes the chunked response before the handler returns: a graceful shutdown stops Jetty as soon as
            // no handler is running, and must not cut a finished stream short of its terminating chunk.
            out.close();
        } catch (IOException | InterruptedException e) {
            job.cancel(); // client went away: free the slots at once
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A forced tool call (tool_choice required / named): the JSON of one valid call, by constrained decoding. */
    private static java.util.function.Supplier<TokenConstraint> toolConstraint(Tooling t, ServedModel m) {
        Node root;
        try {
            root = SchemaCompiler.compile(t.format().forcedSchema(t.request().forcedTools(), t.request().parallel()));
        } catch (SchemaException e) {
            throw ApiException.badRequest("tool parameters cannot be enforced for tool_choice '" + t.request().choice().name().toLowerCase()
                    + "': " + e.getMessage(), "tools");
        }
        if (m.codec().eos() < 0) {
            throw ApiException.badRequest("model '" + m.name() + "' has no EOS token to end a forced tool call", "tool_choice");
        }
        byte[][] vocab = m.vocabBytes();
        TextCodec codec = m.codec();
        return () -> new JsonConstraint(root, vocab, codec::isEndOfGeneration, TOOL_CALL_WHITESPACE);
    }

    /** response_format → a per-choice JSON constraint, or null. Invalid schemas are a 400 naming the keyword. */
    private static java.util.function.Supplier<TokenConstraint> structuredOutput(ObjectNode body, ServedModel m) {
        JsonNode rf = body.get("response_format");
        if (rf == null || rf.isNull()) {
            return null;
        }
        String type = rf.path("type").asText("");
        Node root;
        switch (type) {
            case "text" -> {
                return null;
            }
            case "json_object" -> root = SchemaCompiler.anyObject();
            case "json_schema" -> {
                JsonNode schema = rf.path("json_schema").path("schema");
                if (!schema.isObject()) {
                    throw ApiException.badRequest("'response_format.json_schema.schema' must be a JSON schema object", "response_format");
                }
                try {
                    root = SchemaCompiler.compile(schema);
                } catch (SchemaException e) {
                    throw ApiException.badRequest("invalid response_format: " + e.getMessage(), "response_format");
                }
            }
            default -> throw ApiException.badRequest("'response_format.type' must be text, json_object or json_schema, got '" + type + "'",
                    "response_format");
        }
        if (m.codec().eos() < 0) {
            throw ApiException.badRequest("model '" + m.name() + "' has no EOS token to end structured output", "response_format");
        }
        byte[][] vocab = m.vocabBytes();
        TextCodec codec = m.codec();
        return () -> new JsonConstraint(root, vocab, codec::isEndOfGeneration);
    }

    private static void send(OutputStream out, ObjectNode chunk) throws IOException {
        out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    static ArrayNode array() {
        return Json.MAPPER.createArrayNode();
    }
}
