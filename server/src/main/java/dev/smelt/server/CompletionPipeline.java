package dev.smelt.server;

import dev.smelt.model.arch.ContextOverflowException;
import dev.smelt.runtime.constrain.ConstraintDeadEndException;
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.runtime.engine.QueueFullException;
import dev.smelt.server.CompletionRequest.Prompt;
import dev.smelt.server.CompletionWriter.Choice;
import dev.smelt.server.CompletionWriter.Usage;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.http.HttpApp;
import dev.smelt.server.tools.ParsedOutput;
import dev.smelt.server.tools.ToolStreamFilter;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one completion pipeline behind every API: lease the model, make the {@link CompletionRequest} concrete
 * for it ({@link CompletionPlan}: prompt tokens, tools, vocabulary and context checks), queue the choices on
 * the model's engine, then stream or collect their events through the API's {@link CompletionWriter},
 * cancelling the generation when the client goes away, and report usage. Thread-safe (stateless per request).
 */
final class CompletionPipeline {
    /** Keep-alive comment interval while no token has come yet (long prompts). */
    static final long KEEP_ALIVE_MILLIS = 5_000;

    /** Makes the request's writer once its model is known. */
    @FunctionalInterface
    interface Writers {
        /** @param echo the prompt text each choice starts with (OpenAI's echo), or null */
        CompletionWriter create(String servedModel, String echo);
    }

    private final ModelRegistry models;

    CompletionPipeline(ModelRegistry models) {
        this.models = models;
    }

    /** The models requests run on (handlers look up a stored model's defaults there). */
    ModelRegistry models() {
        return models;
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
            CompletionPlan p = CompletionPlan.of(m, r, lease.adapter());
            CompletionJob job = submit(m, p.spec(), r);
            CompletionWriter w = writers.create(lease.servedName(), p.echo());
            if (r.stream()) {
                stream(ctx, job, p, w, t0, loadNanos);
            } else {
                collect(ctx, job, p, w, t0, loadNanos);
            }
        }
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
        } catch (IllegalStateException e) { // the engine has stopped (shutting down, or dead: /health says so too)
            throw new ApiException(503, "server_error", "model '" + m.name() + "' cannot generate now: " + e.getMessage(), null,
                    "engine_unavailable", 5);
        }
    }

    // ---- running: events from the engine to the writer ----

    /** The answer as one object once every choice is done; the client going away cancels the generation. */
    private static void collect(Context ctx, CompletionJob job, CompletionPlan p, CompletionWriter w, long t0, long loadNanos) {
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
    private static void stream(Context ctx, CompletionJob job, CompletionPlan p, CompletionWriter w, long t0, long loadNanos) throws IOException {
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
                            w.error(out, "generation failed: " + describe(d.error()));
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
            if (d.error() instanceof ConstraintDeadEndException dead) {
                // the request is sound and the server works, but this model cannot write what the schema asks:
                // a 4xx (not retried by OpenAI's clients, unlike a 500), never a "stop" on a cut document
                throw new ApiException(422, "invalid_request_error", "generation failed: " + dead.getMessage(), null, "constraint_dead_end", null);
            }
            throw new ApiException(500, "server_error", "generation failed: " + describe(d.error()), null, null, null);
        }
    }

    /** An engine failure for the client: its message, or its type when it has none (a NullPointerException). */
    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage();
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
