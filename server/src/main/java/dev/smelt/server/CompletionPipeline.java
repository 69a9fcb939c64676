package dev.smelt.server;

import dev.smelt.model.arch.ContextOverflowException;
import dev.smelt.runtime.constrain.JsonConstraint;
import dev.smelt.runtime.constrain.Node;
import dev.smelt.runtime.constrain.SchemaCompiler;
import dev.smelt.runtime.constrain.SchemaException;
import dev.smelt.runtime.constrain.TokenConstraint;
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.runtime.engine.QueueFullException;
import dev.smelt.server.CompletionRequest.Prompt;
import dev.smelt.server.CompletionWriter.Choice;
import dev.smelt.server.CompletionWriter.Usage;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.http.HttpApp;
import dev.smelt.server.tools.FallbackToolPrompt;
import dev.smelt.server.tools.ParsedOutput;
import dev.smelt.server.tools.ToolRequest;
import dev.smelt.server.tools.ToolStreamFilter;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one completion pipeline behind every API: lease the model, turn the {@link CompletionRequest} into
 * prompt tokens (chat template, tools, vocabulary and context checks), queue the choices on the model's
 * engine, then stream or collect their events through the API's {@link CompletionWriter}, cancelling the
 * generation when the client goes away, and report usage. Thread-safe (stateless per request).
 */
final class CompletionPipeline {
    /** Keep-alive comment interval while no token has come yet (long prompts). */
    static final long KEEP_ALIVE_MILLIS = 5_000;
    /** Blank bytes allowed between JSON tokens of a forced tool call: one, enough for "a": 1 style, no runs of newlines. */
    static final int TOOL_CALL_WHITESPACE = 1;

    /** Makes the request's writer once its model is known. */
    @FunctionalInterface
    interface Writers {
        /** @param echo the prompt text each choice starts with (OpenAI's echo), or null */
        CompletionWriter create(String servedModel, String echo);
    }

    /** A request made concrete for one model. */
    private record Prepared(CompletionJob.Spec spec, Tooling tooling, String echo) {
    }

    private final ModelRegistry models;

    CompletionPipeline(ModelRegistry models) {
        this.models = models;
    }

    void run(Context ctx, CompletionRequest r, Writers writers) throws IOException {
        long t0 = System.nanoTime();
        try (ModelRegistry.Lease lease = models.acquire(r.model())) {
            ctx.attribute(HttpApp.MODEL_ATTRIBUTE, lease.servedName());
            long loadNanos = System.nanoTime() - t0;
            ServedModel m = lease.model();
            if (r.keepAlive() != null) {
                models.keepAlive(m, r.keepAlive());
            }
            if (r.prompt() instanceof Prompt.Load) {
                ctx.contentType("application/json").result(writers.create(lease.servedName(), null).loaded(loadNanos).toString());
                return;
            }
            Prepared p = prepare(m, r, lease.adapter());
            CompletionJob job = submit(m, p.spec(), r);
            CompletionWriter w = writers.create(lease.servedName(), p.echo());
            if (r.stream()) {
                stream(ctx, job, p, w, t0, loadNanos);
            } else {
                collect(ctx, job, p, w, t0, loadNanos);
            }
        }
    }

    // ---- the request made concrete for the model: every check that needs the model is a 400 naming the field ----

    private static Prepared prepare(ServedModel m, CompletionRequest r, int adapter) {
        Tooling tooling = tooling(m, r);
        int[] ids = tokens(m, r, tooling);
        String promptParam = r.prompt() instanceof Prompt.Chat ? "messages" : "prompt";
        if (ids.length == 0) {
            throw ApiException.badRequest("the prompt is empty after tokenization", promptParam);
        }
        int ctxSize = m.engine().contextPerSlot();
        if (r.contextLimit() != null) {
            if (r.contextLimit() > ctxSize) {
                throw ApiException.badRequest("'options.num_ctx' " + r.contextLimit() + " exceeds this server's context of " + ctxSize
                        + " tokens per request; start smelt serve with a larger --ctx", "num_ctx");
            }
            ctxSize = r.contextLimit();
        }
        if (ids.length >= ctxSize) {
            throw new ApiException(400, "invalid_request_error", "the prompt has " + ids.length + " tokens but the context is "
                    + ctxSize + " tokens; shorten it (smelt never truncates silently)", promptParam, "context_length_exceeded", null);
        }
        int max = maxTokens(r, ids.length, ctxSize);
        if (r.sampling().logitBias().maxId() >= m.codec().vocabSize()) {
            throw ApiException.badRequest("'logit_bias' key " + r.sampling().logitBias().maxId() + " is outside the vocabulary of model '"
                    + m.name() + "' (token ids 0.." + (m.codec().vocabSize() - 1) + ")", "logit_bias");
        }
        Supplier<TokenConstraint> constraints = tooling != null && tooling.request().forced() ? toolConstraint(tooling, m) : format(r, m);
        CompletionJob.Spec spec = new CompletionJob.Spec(ids, r.sampling(), max, r.stops(), r.n(), r.logprobs(), constraints,
                tooling != null ? m.markerTokens() : Set.of(), adapter);
        return new Prepared(spec, tooling, r.echo() ? echo(m, r.prompt(), ids) : null);
    }

    /** The generation limit: the request's, bounded by what is left of the context (sizes added in long: no overflow). */
    private static int maxTokens(CompletionRequest r, int promptTokens, int ctxSize) {
        int room = ctxSize - promptTokens;
        if (r.maxTokens() == null) {
            return room;
        }
        if ((long) r.maxTokens() > room) {
            if (r.clampToContext()) {
                return room;
            }
            throw new ApiException(400, "invalid_request_error", "the prompt has " + promptTokens + " tokens and '" + r.maxTokensParam()
                    + "' asks for " + r.maxTokens() + " more, but the context is " + ctxSize + " tokens; lower '" + r.maxTokensParam()
                    + "' to at most " + room + " or leave it out", r.maxTokensParam(), "context_length_exceeded", null);
        }
        return r.maxTokens();
    }

    private static Tooling tooling(ServedModel m, CompletionRequest r) {
        ToolRequest t = r.tools();
        if (!t.active() && !t.forced()) {
            return null;
        }
        return new Tooling(t, m.toolFormat(), t.forced() ? m.toolFormat().forcedPrefix() : "",
                "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
    }

    private static int[] tokens(ServedModel m, CompletionRequest r, Tooling tooling) {
        TextCodec codec = m.codec();
        return switch (r.prompt()) {
            case Prompt.Text t -> codec.encode(t.text(), true);
            case Prompt.Tokens t -> inVocabulary(t.ids(), m, "prompt");
            case Prompt.Chat c -> codec.encode(renderChat(m, c.messages(), r.tools(), tooling), false);
            case Prompt.Generate g -> generate(m, g);
            case Prompt.Load l -> throw new IllegalStateException("a load request generates nothing");
        };
    }

    private static String renderChat(ServedModel m, List<Map<String, Object>> messages, ToolRequest tools, Tooling tooling) {
        if (m.chat() == null) {
            throw ApiException.badRequest("model '" + m.name() + "' has no chat template; use /v1/completions or /api/generate", "model");
        }
        List<Map<String, Object>> templateTools = tools.active() ? tools.raw() : null;
        if (!m.nativeTools()) {
            messages = FallbackToolPrompt.rewrite(messages, templateTools);
            templateTools = null;
        }
        String text = m.chat().render(messages, templateTools, true);
        return tooling == null ? text : text + tooling.forcedPrefix();
    }

    /** Ollama's generate: the earlier answer's context, then the prompt (in the chat template unless raw). */
    private static int[] generate(ServedModel m, Prompt.Generate g) {
        int[] context = inVocabulary(g.context(), m, "context");
        boolean plain = g.raw() || m.chat() == null;
        String text;
        if (plain) {
            text = (g.system() != null ? g.system() + "\n\n" : "") + g.prompt();
        } else {
            List<Map<String, Object>> msgs = new ArrayList<>();
            if (g.system() != null) {
                msgs.add(Map.of("role", "system", "content", g.system()));
            }
            msgs.add(Map.of("role", "user", "content", g.prompt()));
            text = m.chat().render(msgs, null, true);
        }
        int[] ids = m.codec().encode(text, plain && context.length == 0); // BOS once, at the start of the conversation
        int[] all = Arrays.copyOf(context, context.length + ids.length);
        System.arraycopy(ids, 0, all, context.length, ids.length);
        return all;
    }

    /** {@code ids} unchanged when each is a token of the model; else a 400 naming the index and the value. */
    private static int[] inVocabulary(int[] ids, ServedModel m, String param) {
        int vocab = m.codec().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw ApiException.badRequest("'" + param + "[" + i + "]' = " + ids[i] + " is outside the vocabulary of model '" + m.name()
                        + "' (token ids 0.." + (vocab - 1) + ")", param);
            }
        }
        return ids;
    }

    private static String echo(ServedModel m, Prompt p, int[] ids) {
        if (p instanceof Prompt.Text t) {
            return t.text();
        }
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            b.writeBytes(m.codec().tokenBytes(id));
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** A forced tool call (tool_choice required / named): the JSON of one valid call, by constrained decoding. */
    private static Supplier<TokenConstraint> toolConstraint(Tooling t, ServedModel m) {
        Node root;
        try {
            root = SchemaCompiler.compile(t.format().forcedSchema(t.request().forcedTools(), t.request().parallel()));
        } catch (SchemaException e) {
            throw ApiException.badRequest("tool parameters cannot be enforced for tool_choice '" + t.request().choice().name().toLowerCase()
                    + "': " + e.getMessage(), "tools");
        }
        return constraint(m, root, "tool_choice", TOOL_CALL_WHITESPACE);
    }

    private static Supplier<TokenConstraint> format(CompletionRequest r, ServedModel m) {
        return r.format() == null ? null : constraint(m, r.format().root(), r.format().param(), -1);
    }

    /** @param whitespace blank bytes allowed between JSON tokens, or −1 for the constraint's default */
    private static Supplier<TokenConstraint> constraint(ServedModel m, Node root, String param, int whitespace) {
        if (m.codec().eos() < 0) {
            throw ApiException.badRequest("model '" + m.name() + "' has no EOS token to end structured output", param);
        }
        byte[][] vocab = m.vocabBytes();
        TextCodec codec = m.codec();
        return whitespace < 0 ? () -> new JsonConstraint(root, vocab, codec::isEndOfGeneration)
                : () -> new JsonConstraint(root, vocab, codec::isEndOfGeneration, whitespace);
    }

    private static CompletionJob submit(ServedModel m, CompletionJob.Spec spec, CompletionRequest r) {
        try {
            return new CompletionJob(m, spec);
        } catch (ContextOverflowException e) {
            throw new ApiException(400, "invalid_request_error", e.getMessage(), r.maxTokensParam(), "context_length_exceeded", null);
        } catch (QueueFullException e) {
            throw new ApiException(429, "rate_limit_error", e.getMessage(), null, "rate_limit_exceeded", 1);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage(), r.prompt() instanceof Prompt.Chat ? "messages" : "prompt");
        }
    }

    // ---- running: events from the engine to the writer ----

    /** The answer as one object once every choice is done; the client going away cancels the generation. */
    private static void collect(Context ctx, CompletionJob job, Prepared p, CompletionWriter w, long t0, long loadNanos) {
        int n = p.spec().n();
        StringBuilder[] texts = new StringBuilder[n];
        List<List<CompletionJob.TokenLogprob>> lps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts[i] = new StringBuilder();
            lps.add(new ArrayList<>());
        }
        Choice[] choices = new Choice[n];
        int done = 0;
        int completion = 0;
        ClientConnection conn = ClientConnection.of(ctx);
        try {
            while (done < n) {
                CompletionJob.Event e = job.events.poll(ClientConnection.CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (conn.due() && conn.closed()) { // checked by time: tokens keep arriving while the client is gone
                    job.cancel(); // free the slots at once
                    ctx.status(499); // nginx's "client closed request", for the request log; nobody reads it
                    return;
                }
                switch (e) {
                    case null -> {
                    }
                    case CompletionJob.Delta d -> {
                        texts[d.index()].append(d.text());
                        lps.get(d.index()).addAll(d.logprobs());
                    }
                    case CompletionJob.Done d -> {
                        failed(job, d);
                        choices[d.index()] = choice(d, p.tooling() == null ? null
                                : p.tooling().limit(p.tooling().format().parse(p.tooling().forcedPrefix() + texts[d.index()],
                                        p.tooling().idPrefix() + d.index())), texts[d.index()].toString(), lps.get(d.index()));
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
        ctx.contentType("application/json").result(w.full(List.of(choices), usage(job, choices, completion, t0, loadNanos)).toString());
    }

    /** Chunks as tokens come; a failed write (the client went away) or a closed connection cancels the generation. */
    private static void stream(Context ctx, CompletionJob job, Prepared p, CompletionWriter w, long t0, long loadNanos) throws IOException {
        int n = p.spec().n();
        ctx.res().setStatus(200);
        ctx.res().setContentType(w.streamContentType());
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        OutputStream out = ctx.res().getOutputStream();
        ToolStreamFilter[] filters = new ToolStreamFilter[n];
        for (int i = 0; i < n && p.tooling() != null; i++) {
            filters[i] = p.tooling().filter();
        }
        Choice[] choices = new Choice[n];
        int done = 0;
        int completion = 0;
        ClientConnection conn = ClientConnection.of(ctx);
        long lastWrite = System.nanoTime();
        try {
            w.open(out, n);
            while (done < n) {
                CompletionJob.Event e = job.events.poll(ClientConnection.CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (conn.due() && conn.closed()) {
                    job.cancel();
                    return;
                }
                switch (e) {
                    case null -> {
                        if (System.nanoTime() - lastWrite >= KEEP_ALIVE_MILLIS * 1_000_000) {
                            w.keepAlive(out);
                            lastWrite = System.nanoTime();
                        }
                    }
                    case CompletionJob.Delta d -> {
                        String text = filters[d.index()] == null ? d.text() : filters[d.index()].push(d.text());
                        w.delta(out, d.index(), text, d.logprobs());
                        lastWrite = System.nanoTime();
                    }
                    case CompletionJob.Done d -> {
                        if (d.error() != null) {
                            job.cancel();
                            w.error(out, "generation failed: " + d.error().getMessage());
                            return;
                        }
                        ToolStreamFilter f = filters[d.index()];
                        ParsedOutput parsed = f == null ? null : p.tooling().limit(f.finish(p.tooling().idPrefix() + d.index()));
                        choices[d.index()] = choice(d, parsed, "", List.of());
                        w.choiceEnd(out, choices[d.index()]);
                        completion += d.completionTokens();
                        done++;
                    }
                }
            }
            w.close(out, List.of(choices), usage(job, choices, completion, t0, loadNanos));
            // Completes the chunked response before the handler returns: a graceful shutdown stops Jetty as soon as
            // no handler is running, and must not cut a finished stream short of its terminating chunk.
            out.close();
        } catch (IOException | InterruptedException e) {
            job.cancel(); // the client went away: free the slots at once
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void failed(CompletionJob job, CompletionJob.Done d) {
        if (d.error() != null) {
            job.cancel();
            throw new ApiException(500, "server_error", "generation failed: " + d.error().getMessage(), null, null, null);
        }
    }

    /** @param parsed the choice's text split into content and tool calls, or null without tools */
    private static Choice choice(CompletionJob.Done d, ParsedOutput parsed, String text,
                                 List<CompletionJob.TokenLogprob> logprobs) {
        if (parsed == null) {
            return new Choice(d.index(), text, logprobs, List.of(), d.finishReason(), d.result());
        }
        return new Choice(d.index(), parsed.content(), logprobs, parsed.calls(), d.finishReason(), d.result());
    }

    /** Token counts; the context (prompt and answer ids, without the final end token) for a one-choice answer. */
    private static Usage usage(CompletionJob job, Choice[] choices, int completion, long t0, long loadNanos) {
        int[] context = null;
        GenerationResult r = choices.length == 1 ? choices[0].result() : null;
        if (r != null) {
            int[] gen = r.tokens();
            int keep = gen.length > 0 && "stop".equals(r.finishReason()) && job.endsGeneration(gen[gen.length - 1]) ? gen.length - 1 : gen.length;
            context = Arrays.copyOf(job.prompt(), job.prompt().length + keep);
            System.arraycopy(gen, 0, context, job.prompt().length, keep);
        }
        return new Usage(job.promptTokens, completion, t0, loadNanos, context);
    }
}
