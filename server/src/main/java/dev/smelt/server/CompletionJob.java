package dev.smelt.server;

import dev.smelt.model.tokenizer.Utf8Assembler;
import dev.smelt.runtime.constrain.TokenConstraint;
import dev.smelt.runtime.engine.GenerationRequest;
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.runtime.engine.RequestHandle;
import dev.smelt.runtime.sampling.SamplerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;

/**
 * The n choices of one completion request running on a model's engine. Engine callbacks turn tokens
 * into UTF-8-safe text, apply stop strings and log-probabilities, and post {@link Event}s to a queue
 * that the HTTP thread drains (streaming) or collects (non-streaming). Thread-safe.
 */
final class CompletionJob {
    /** Something a choice produced. */
    sealed interface Event permits Delta, Done {
    }

    /** New text of choice {@code index} (may be empty when only log-probs are new). */
    record Delta(int index, String text, List<TokenLogprob> logprobs) implements Event {
    }

    /** Choice {@code index} finished. */
    record Done(int index, String finishReason, int completionTokens, Throwable error, GenerationResult result) implements Event {
    }

    /** One sampled token's log-probability and the top alternatives. */
    record TokenLogprob(int token, String text, byte[] bytes, double logprob, List<TokenLogprob> top) {
    }

    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    final List<RequestHandle> handles = new ArrayList<>();
    final int promptTokens;
    private final int[] prompt;
    private final TextCodec codec;

    /**
     * What to run: the same prompt {@code n} times, choice i with seed {@code sampling.seed() + i}.
     *
     * @param topLogprobs −1: no log-probs; k ≥ 0: the sampled token's log-prob plus k alternatives
     * @param constraints a fresh grammar constraint per choice, or null
     * @param visible     control tokens whose text is part of the output (tool-call markers)
     * @param adapter     the LoRA adapter id every choice runs with (0 = the base model)
     */
    record Spec(int[] prompt, SamplerConfig sampling, int maxTokens, List<String> stops, int n, int topLogprobs,
                Supplier<TokenConstraint> constraints, Set<Integer> visible, int adapter) {
    }

    /** Submits the n choices of {@code spec} to {@code m}'s engine; a refused submission cancels the ones already queued. */
    CompletionJob(ServedModel m, Spec spec) {
        int[] prompt = spec.prompt();
        int n = spec.n();
        int topLogprobs = spec.topLogprobs();
        Set<Integer> visible = spec.visible();
        Supplier<TokenConstraint> constraints = spec.constraints();
        this.promptTokens = prompt.length;
        this.prompt = prompt;
        this.codec = m.codec();
        for (int i = 0; i < n; i++) {
            final int index = i;
            SamplerConfig sc = spec.sampling().withSeed(spec.sampling().seed() + i);
            Utf8Assembler utf8 = new Utf8Assembler();
            StopMatcher stop = new StopMatcher(spec.stops());
            TextCodec codec = m.codec();
            GenerationRequest req = new GenerationRequest(prompt, sc, spec.maxTokens(), codec::isEndOfGeneration, (token, logits) -> {
                boolean end = codec.isEndOfGeneration(token);
                byte[] bytes = end ? new byte[0] : visible.contains(token) ? codec.rawTokenBytes(token) : codec.tokenBytes(token);
                String text = stop.push(utf8.push(bytes));
                // a token the grammar forced (jump-forward) has no distribution: no log-prob entry for it
                List<TokenLogprob> lp = topLogprobs >= 0 && !end && logits != null ? List.of(logprob(codec, logits, token, topLogprobs)) : List.of();
                if (!text.isEmpty() || !lp.isEmpty()) {
                    events.add(new Delta(index, text, lp));
                }
                return !stop.stopped();
            }, constraints == null ? null : constraints.get(), constraints == null ? -1 : codec.eos(), spec.adapter());
            RequestHandle h;
            try {
                h = m.engine().submit(req);
            } catch (RuntimeException e) {
                cancel(); // choices already queued must not keep running
                throw e;
            }
            handles.add(h);
            h.result().whenComplete((GenerationResult r, Throwable err) -> {
                if (err != null) {
                    events.add(new Done(index, "error", 0, err, null));
                    return;
                }
                if (!stop.stopped() && !"cancelled".equals(r.finishReason())) {
                    String tail = stop.push(utf8.flush()) + stop.flush();
                    if (!tail.isEmpty()) {
                        events.add(new Delta(index, tail, List.of()));
                    }
                }
                events.add(new Done(index, r.finishReason(), r.tokens().length, null, r));
            });
        }
    }

    /** The prompt's token ids (do not modify). */
    int[] prompt() {
        return prompt;
    }

    /** Whether {@code token} is one that ends a generation (EOS, end of turn). */
    boolean endsGeneration(int token) {
        return codec.isEndOfGeneration(token);
    }

    void cancel() {
        handles.forEach(RequestHandle::cancel);
    }

    static TokenLogprob logprob(TextCodec codec, float[] logits, int token, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double lse = max + Math.log(sum);
        List<TokenLogprob> top = new ArrayList<>();
        if (k > 0) {
            int[] best = new int[k];
            java.util.Arrays.fill(best, -1);
            for (int i = 0; i < logits.length; i++) {
                int j = k - 1;
                if (best[j] >= 0 && logits[i] <= logits[best[j]]) {
                    continue;
                }
                while (j > 0 && (best[j - 1] < 0 || logits[i] > logits[best[j - 1]])) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = i;
            }
            for (int id : best) {
                if (id >= 0) {
                    byte[] b = codec.tokenBytes(id);
                    top.add(new TokenLogprob(id, new String(b, java.nio.charset.StandardCharsets.UTF_8), b, logits[id] - lse, List.of()));
                }
            }
        }
        byte[] b = codec.tokenBytes(token);
        return new TokenLogprob(token, new String(b, java.nio.charset.StandardCharsets.UTF_8), b, logits[token] - lse, top);
    }
}
