package dev.smelt.cli;

import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.engine.BatchEngine;
import dev.smelt.runtime.engine.DraftModelDrafter;
import dev.smelt.runtime.engine.EngineOptions;
import dev.smelt.runtime.engine.GenerationRequest;
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.runtime.engine.PromptLookupDrafter;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.server.DecodingConfig;
import dev.smelt.tensor.ThreadPool;
import java.util.concurrent.ExecutionException;
import java.util.function.IntPredicate;

/** {@code smelt run} with speculative decoding: one request on a one-slot engine whose drafter is configured. */
final class Speculation {
    private Speculation() {
    }

    static Generator.Result generate(DecoderModel m, ThreadPool pool, int[] prompt, SamplerConfig sc, int maxTokens, int context,
                                     IntPredicate isEnd, Generator.TokenListener listener, DecodingConfig d) throws Exception {
        if (!sc.isGreedy()) {
            System.err.println("note: speculative decoding drafts only at temperature 0 (--temp 0); sampling as usual");
        }
        DecoderModel draft = d.draftModel() != null ? Models.load(d.draftModel()) : null;
        try {
            EngineOptions o = new EngineOptions(false, draft != null
                    ? new DraftModelDrafter(draft, pool, 1, context, m.config().vocab(), d.draftPMin()) : new PromptLookupDrafter(),
                    d.draftMax(), d.draftMin());
            try (BatchEngine e = new BatchEngine(m, pool, 1, context, 0, BatchEngine.DEFAULT_STEP_TOKENS, System::nanoTime, o)) {
                GenerationResult r;
                try {
                    r = e.submit(new GenerationRequest(prompt, sc, maxTokens, isEnd, listener::onToken)).result().get();
                } catch (ExecutionException ex) {
                    throw ex.getCause() instanceof Exception c ? c : ex;
                }
                long drafted = e.stats().draftTokens.get();
                System.err.printf(java.util.Locale.ROOT, "speculative (%s): %d draft tokens, %d accepted (%.0f%%), %d steps%n",
                        draft != null ? "draft model" : "prompt lookup", drafted, e.stats().draftAccepted.get(),
                        drafted == 0 ? 0.0 : 100.0 * e.stats().draftAccepted.get() / drafted, e.stats().steps.get());
                Generator.StopReason reason = switch (r.finishReason()) {
                    case "length" -> Generator.StopReason.MAX_TOKENS;
                    case "stop" -> r.tokens().length > 0 && isEnd.test(r.tokens()[r.tokens().length - 1])
                            ? Generator.StopReason.END_OF_GENERATION : Generator.StopReason.LISTENER;
                    default -> throw new IllegalStateException("generation ended: " + r.finishReason());
                };
                long prefill = r.firstTokenNanos() - r.queueNanos();
                return new Generator.Result(r.tokens(), reason, prefill, r.totalNanos() - r.firstTokenNanos());
            }
        } finally {
            if (draft != null) {
                draft.close();
            }
        }
    }
}
