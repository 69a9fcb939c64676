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
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.runtime.engine.QueueFullException;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.server.tools.FallbackToolPrompt;
import dev.smelt.server.tools.ParsedOutput;
import dev.smelt.server.tools.ToolCall;
import dev.smelt.server.tools.ToolRequest;
import dev.smelt.server.tools.ToolStreamFilter;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Ollama's native API: /api/chat and /api/generate (NDJSON streaming by default, {@code stream:false}
 * for one object; options temperature/top_p/top_k/min_p/seed/num_predict/stop/repeat_penalty…,
 * {@code format: "json"} or a JSON schema, {@code keep_alive}, tools), /api/tags, /api/show, /api/ps,
 * /api/version. Sampling defaults are Ollama's (temperature 0.8, top_k 40, top_p 0.9, repeat_penalty
 * 1.1). Errors are Ollama's {@code {"error": "..."}} (rendered by {@link SmeltServer}). Thread-safe.
 */
final class OllamaHandlers {
    /** The Ollama API version we follow (clients check it for feature support). */
    static final String VERSION = "0.6.0";

    private final ModelRegistry models;
    private final Clock clock;
    private final LongSupplier seeds;

    OllamaHandlers(ModelRegistry models, Clock clock, LongSupplier seeds) {
        this.models = models;
        this.clock = clock;
        this.seeds = seeds;
    }

    void version(Context ctx) {
        ctx.json(Map.of("version", VERSION));
    }

    void chat(Context ctx) throws IOException {
        ObjectNode body = Json.parseObject(ctx);
        long t0 = System.nanoTime();
        try (ModelRegistry.Lease lease = models.acquire(requireModel(body))) {
            ServedModel m = lease.model();
            ctx.attribute("smelt.model", lease.servedName());
            ctx.attribute(OpenAiHandlers.ADAPTER_ATTRIBUTE, lease.adapter());
            long loadNanos = System.nanoTime() - t0;
            applyKeepAlive(body, m);
            JsonNode msgs = body.get("messages");
            if (msgs == null || msgs.isNull() || (msgs.isArray() && msgs.isEmpty())) {
                writeLoaded(ctx, m, true, loadNanos); // Ollama: an empty chat just loads the model
                return;
            }
            List<Map<String, Object>> messages = ChatMessages.parse(ollamaMessages(msgs));
            if (m.chat() == null) {
                throw ApiException.badRequest("model '" + m.name() + "' has no chat template; use /api/generate", "model");
            }
            ToolRequest tools = ToolRequest.parse(body, Json.MAPPER);
            List<Map<String, Object>> templateTools = tools.active() ? tools.raw() : null;
            if (!m.nativeTools()) {
                messages = FallbackToolPrompt.rewrite(messages, templateTools);
                templateTools = null;
            }
            int[] prompt = m.codec().encode(m.chat().render(messages, templateTools, true), false);
            run(ctx, body, m, prompt, true, tools.active() ? tools : null, t0, loadNanos);
        }
    }

    void generate(Context ctx) throws IOException {
        ObjectNode body = Json.parseObject(ctx);
        long t0 = System.nanoTime();
        try (ModelRegistry.Lease lease = models.acquire(requireModel(body))) {
            ServedModel m = lease.model();
            ctx.attribute("smelt.model", lease.servedName());
            ctx.attribute(OpenAiHandlers.ADAPTER_ATTRIBUTE, lease.adapter());
            long loadNanos = System.nanoTime() - t0;
            applyKeepAlive(body, m);
            if (body.path("images").isArray() && !body.get("images").isEmpty()) {
                throw ApiException.badRequest("images are not supported: the served models are text-only", "images");
            }
            String promptText = Json.string(body, "prompt", "");
            if (promptText.isEmpty()) {
                writeLoaded(ctx, m, false, loadNanos);
                return;
            }
            String system = Json.string(body, "system", null);
            boolean raw = Json.bool(body, "raw", false);
            String text;
            if (raw || m.chat() == null) {
                text = (system != null ? system + "\n\n" : "") + promptText;
            } else {
                List<Map<String, Object>> msgs = new java.util.ArrayList<>();
                if (system != null) {
                    msgs.add(Map.of("role", "system", "content", system));
                }
                msgs.add(Map.of("role", "user", "content", promptText));
                text = m.chat().render(msgs, null, true);
            }
            int[] prompt = m.codec().encode(text, raw || m.chat() == null);
            run(ctx, body, m, prompt, false, null, t0, loadNanos);
        }
    }

    /** Ollama messages → the OpenAI-style JSON ChatMessages reads (tool_name → name). */
    private static JsonNode ollamaMessages(JsonNode msgs) {
        if (!msgs.isArray()) {
            throw ApiException.badRequest("'messages' must be an array", "messages");
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (JsonNode m : msgs) {
            if (m.isObject() && m.has("images") && m.get("images").isArray() && !m.get("images").isEmpty()) {
                throw ApiException.badRequest("images are not supported: the served models are text-only", "messages");
            }
            if (m.isObject() && m.path("tool_name").isTextual() && !m.has("name")) {
                ObjectNode c = ((ObjectNode) m).deepCopy();
                c.put("name", m.get("tool_name").asText());
                out.add(c);
            } else {
                out.add(m);
            }
        }
        return out;
    }

    private void run(Context ctx, ObjectNode body, ServedModel m, int[] prompt, boolean chat, ToolRequest tools, long t0, long loadNanos)
            throws IOException {
        JsonNode options = body.path("options");
        if (!options.isMissingNode() && !options.isNull() && !options.isObject()) {
            throw ApiException.badRequest("'options' must be an object", "options");
        }
        if (options.isMissingNode() || options.isNull()) {
            options = Json.MAPPER.createObjectNode();
        }
        int ctxSize = m.engine().contextPerSlot();
        if (prompt.length >= ctxSize) {
            throw ApiException.badRequest("the prompt has " + prompt.length + " tokens but the context is " + ctxSize
                    + " tokens; shorten it (smelt never truncates silently)", "prompt");
        }
        Integer numPredict = Json.integer(options, "num_predict", -1, -2, Integer.MAX_VALUE);
        int max = numPredict < 0 ? ctxSize - prompt.length : numPredict; // -1 infinite, -2 fill the context: both up to the context
        SamplerConfig sampling = sampling(options, seeds.getAsLong());
        List<String> stops = Json.stops(options);
        Supplier<TokenConstraint> constraint = format(body.get("format"), m);
        boolean stream = Json.bool(body, "stream", true);
        CompletionJob job;
        try {
            job = new CompletionJob(m, prompt, sampling, max, stops, 1, -1, constraint, tools != null ? m.markerTokens() : java.util.Set.of(), OpenAiHandlers.adapterOf(ctx));
        } catch (ContextOverflowException e) {
            throw ApiException.badRequest(e.getMessage(), "num_predict");
        } catch (QueueFullException e) {
            throw new ApiException(429, "rate_limit_error", e.getMessage(), null, "rate_limit_exceeded", 1);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage(), "prompt");
        }
        ToolStreamFilter filter = tools != null ? new ToolStreamFilter(m.toolFormat(), "") : null;
        OutputStream out = null;
        if (stream) {
            ctx.res().setStatus(200);
            ctx.res().setContentType("application/x-ndjson");
            out = ctx.res().getOutputStream();
        }
        StringBuilder all = new StringBuilder();
        ClientConnection conn = ClientConnection.of(ctx);
        try {
            while (true) {
                CompletionJob.Event e = job.events.poll(ClientConnection.CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (conn.due() && conn.closed()) { // by time (tokens keep arriving); nothing written yet, so no write would notice
                    job.cancel();
                    ctx.status(499);
                    return;
                }
                if (e == null) {
                    continue;
                }
                if (e instanceof CompletionJob.Delta d) {
                    String text = filter != null ? filter.push(d.text()) : d.text();
                    all.append(text);
                    if (stream && !text.isEmpty()) {
                        line(out, chunk(OpenAiHandlers.servedName(ctx, m), chat, text, null, false));
                    }
                } else if (e instanceof CompletionJob.Done d) {
                    if (d.error() != null) {
                        job.cancel();
                        if (stream) {
                            line(out, Json.MAPPER.createObjectNode().put("error", "generation failed: " + d.error().getMessage()));
                            return;
                        }
                        throw new ApiException(500, "server_error", "generation failed: " + d.error().getMessage(), null, null, null);
                    }
                    List<ToolCall> calls = List.of();
                    String tail = "";
                    if (filter != null) {
                        ParsedOutput p = filter.finish("call");
                        calls = p.calls();
                        tail = p.content() == null ? "" : p.content();
                        all.append(tail);
                    }
                    ObjectNode fin = chunk(OpenAiHandlers.servedName(ctx, m), chat, stream ? tail : all.toString(), calls, true);
                    fin.put("done_reason", "length".equals(d.finishReason()) ? "length" : "stop");
                    timings(fin, d.result(), t0, loadNanos, job.promptTokens, d.completionTokens());
                    if (stream) {
                        line(out, fin);
                        out.close(); // the response is complete before the handler returns (see OpenAiHandlers' [DONE])
                    } else {
                        ctx.contentType("application/json").result(fin.toString());
                    }
                    return;
                }
            }
        } catch (IOException ex) {
            job.cancel(); // client went away: free the slot at once
        } catch (InterruptedException ie) {
            job.cancel();
            Thread.currentThread().interrupt();
        }
    }

    private ObjectNode chunk(String model, boolean chat, String text, List<ToolCall> calls, boolean done) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("model", model).put("created_at", Instant.now(clock).toString());
        if (chat) {
            ObjectNode msg = o.putObject("message").put("role", "assistant").put("content", text);
            if (calls != null && !calls.isEmpty()) {
                ArrayNode tc = msg.putArray("tool_calls");
                for (ToolCall c : calls) {
                    ObjectNode f = tc.addObject().putObject("function").put("name", c.name());
                    try {
                        f.set("arguments", Json.MAPPER.readTree(c.arguments())); // Ollama sends arguments as an object
                    } catch (IOException e) {
                        throw new IllegalStateException("parsed tool arguments are JSON by construction", e);
                    }
                }
            }
        } else {
            o.put("response", text);
        }
        o.put("done", done);
        return o;
    }

    private static void timings(ObjectNode o, GenerationResult r, long t0, long loadNanos, int promptTokens, int evalCount) {
        long total = System.nanoTime() - t0;
        long firstToken = r != null && r.firstTokenNanos() > 0 ? r.firstTokenNanos() : total;
        long promptEval = Math.max(0, firstToken - (r != null ? r.queueNanos() : 0));
        o.put("total_duration", total).put("load_duration", loadNanos)
                .put("prompt_eval_count", promptTokens - (r != null ? r.cachedTokens() : 0)).put("prompt_eval_duration", promptEval)
                .put("eval_count", evalCount).put("eval_duration", Math.max(0, (r != null ? r.totalNanos() : total) - firstToken));
    }

    private void writeLoaded(Context ctx, ServedModel m, boolean chat, long loadNanos) {
        ObjectNode o = chunk(m.name(), chat, "", null, true);
        o.put("done_reason", "load").put("total_duration", loadNanos).put("load_duration", loadNanos);
        ctx.contentType("application/json").result(o.toString());
    }

    /** Ollama options → sampler settings with Ollama's defaults. */
    static SamplerConfig sampling(JsonNode o, long defaultSeed) {
        double temperature = Json.number(o, "temperature", 0.8, 0, 100);
        Integer topK = Json.integer(o, "top_k", 40, 0, Integer.MAX_VALUE);
        double topP = Json.number(o, "top_p", 0.9, 0, 1);
        double minP = Json.number(o, "min_p", 0.0, 0, 1);
        double repeat = Json.number(o, "repeat_penalty", 1.1, 0, 100);
        Integer lastN = Json.integer(o, "repeat_last_n", 64, -1, Integer.MAX_VALUE);
        double presence = Json.number(o, "presence_penalty", 0.0, -100, 100);
        double frequency = Json.number(o, "frequency_penalty", 0.0, -100, 100);
        Long seed = Json.longValue(o, "seed");
        return new SamplerConfig((float) temperature, topK, topP == 0 ? 1f : (float) topP, (float) minP, repeat == 0 ? 1f : (float) repeat,
                lastN, (float) frequency, (float) presence, seed != null && seed >= 0 ? seed : defaultSeed);
    }

    /** {@code format}: "json" (any JSON object) or a JSON schema object. */
    private static Supplier<TokenConstraint> format(JsonNode f, ServedModel m) {
        if (f == null || f.isNull() || (f.isTextual() && f.asText().isEmpty())) {
            return null;
        }
        Node root;
        if (f.isTextual() && f.asText().equals("json")) {
            root = SchemaCompiler.anyObject();
        } else if (f.isObject()) {
            try {
                root = SchemaCompiler.compile(f);
            } catch (SchemaException e) {
                throw ApiException.badRequest("invalid format schema: " + e.getMessage(), "format");
            }
        } else {
            throw ApiException.badRequest("'format' must be \"json\" or a JSON schema object, got " + f, "format");
        }
        if (m.codec().eos() < 0) {
            throw ApiException.badRequest("model '" + m.name() + "' has no EOS token to end structured output", "format");
        }
        byte[][] vocab = m.vocabBytes();
        TextCodec codec = m.codec();
        return () -> new JsonConstraint(root, vocab, codec::isEndOfGeneration);
    }

    private void applyKeepAlive(JsonNode body, ServedModel m) {
        JsonNode k = body.get("keep_alive");
        if (k != null && !k.isNull()) {
            models.keepAlive(m, OllamaDurations.parse(k, "keep_alive"));
        }
    }

    private static String requireModel(JsonNode body) {
        String model = Json.string(body, "model", null);
        if (model == null || model.isBlank()) {
            throw ApiException.badRequest("model is required", "model");
        }
        return OpenAiHandlers.withAdapter(body, model);
    }

    private static void line(OutputStream out, ObjectNode o) throws IOException {
        out.write((o.toString() + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    // ---- model listings ----

    void tags(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("models");
        for (String n : models.names()) {
            ModelInfo info = info(n);
            if (info == null) {
                continue;
            }
            java.util.List<String> served = new java.util.ArrayList<>(List.of(n));
            for (String a : models.adapters(n)) {
                served.add(n + ModelRegistry.ADAPTER_SEPARATOR + a); // LoRA adapters on this base, selectable per request
            }
            for (String name : served) {
                ObjectNode e = arr.addObject().put("name", name).put("model", name).put("modified_at", info.modified().toString())
                        .put("size", info.size()).put("digest", info.digest());
                e.set("details", details(info));
            }
        }
        ctx.json(o);
    }

    void ps(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("models");
        long now = models.nowNanos();
        for (ServedModel m : models.loadedModels()) {
            ModelInfo info = info(m.name());
            long exp = models.expiresAtNanos(m);
            Instant expires = exp == Long.MAX_VALUE ? Instant.parse("2318-01-01T00:00:00Z") // Ollama's "forever" is far in the future
                    : Instant.now(clock).plusNanos(exp - now);
            java.util.List<String> served = new java.util.ArrayList<>(List.of(m.name()));
            for (String a : models.adapters(m.name())) {
                served.add(m.name() + ModelRegistry.ADAPTER_SEPARATOR + a); // attached adapters are loaded with their base
            }
            for (String name : served) {
                ObjectNode e = arr.addObject().put("name", name).put("model", name);
                e.put("size", info != null ? info.size() : 0).put("digest", info != null ? info.digest() : "")
                        .put("expires_at", expires.toString()).put("size_vram", 0).put("context_length", m.engine().contextPerSlot());
                if (info != null) {
                    ObjectNode d = details(info);
                    if (!name.equals(m.name())) {
                        d.put("parent_model", m.name());
                    }
                    e.set("details", d);
                }
            }
        }
        ctx.json(o);
    }

    void show(Context ctx) {
        ObjectNode body = Json.parseObject(ctx);
        String name = Json.string(body, "model", Json.string(body, "name", null));
        if (name == null || name.isBlank()) {
            throw ApiException.badRequest("model is required", "model");
        }
        String canonical = models.canonical(name);
        String adapter = null;
        int plus = name.lastIndexOf(ModelRegistry.ADAPTER_SEPARATOR);
        if (canonical == null && plus > 0 && models.canonical(name.substring(0, plus)) != null) {
            canonical = models.canonical(name.substring(0, plus)); // base+adapter, as /api/tags lists it
            adapter = name.substring(plus + 1);
            if (!models.adapters(canonical).contains(adapter)) {
                throw ApiException.notFound("model '" + name + "' not found: '" + canonical + "' has no adapter '" + adapter
                        + "'; its adapters: " + String.join(", ", models.adapters(canonical)), "model", "model_not_found");
            }
        }
        if (canonical == null) {
            throw ApiException.notFound("model '" + name + "' not found", "model", "model_not_found");
        }
        ModelInfo info = info(canonical);
        if (info == null) {
            throw ApiException.notFound("model '" + name + "' has no file to describe", "model", "model_not_found");
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        java.nio.file.Path adapterFile = adapter == null ? null : models.adapterFile(canonical, adapter);
        o.put("modelfile", "# served by smelt\nFROM " + models.file(canonical) + "\n"
                + (adapter == null ? "" : "ADAPTER " + (adapterFile != null ? adapterFile : adapter) + "\n")); // Ollama's Modelfile keyword
        o.put("parameters", "");
        o.put("template", info.template() == null ? "" : info.template());
        ObjectNode details = details(info);
        if (adapter != null) {
            details.put("parent_model", canonical); // an adapter is a model derived from its base
        }
        o.set("details", details);
        o.set("model_info", Json.MAPPER.valueToTree(info.metadata()));
        ArrayNode caps = o.putArray("capabilities").add("completion");
        if (info.template() == null || info.template().contains("tools")) {
            caps.add("tools"); // the ChatML fallback renders tools too
        }
        o.put("modified_at", info.modified().toString());
        ctx.json(o);
    }

    private ModelInfo info(String canonical) {
        Path p = models.file(canonical);
        if (p == null) {
            return null;
        }
        try {
            return ModelInfo.of(p);
        } catch (IOException e) {
            throw new ApiException(500, "server_error", "cannot read model file " + p + ": " + e.getMessage(), "model", null, null);
        }
    }

    private static ObjectNode details(ModelInfo info) {
        ObjectNode d = Json.MAPPER.createObjectNode().put("parent_model", "").put("format", "gguf").put("family", info.architecture());
        d.putArray("families").add(info.architecture());
        d.put("parameter_size", info.parameterSize()).put("quantization_level", info.quantization());
        return d;
    }

}
