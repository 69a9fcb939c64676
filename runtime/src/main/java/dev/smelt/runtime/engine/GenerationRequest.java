package dev.smelt.runtime.engine;

import dev.smelt.runtime.constrain.TokenConstraint;
import dev.smelt.runtime.sampling.SamplerConfig;
import java.util.function.IntPredicate;

/**
 * One generation job for the {@link BatchEngine}.
 *
 * @param prompt            prompt token ids (non-empty)
 * @param sampling          sampling parameters (seeded per request)
 * @param maxTokens         generated-token limit (≥ 0)
 * @param isEndOfGeneration tokens that end the generation (included in the output)
 * @param listener          receives each token; may return false to stop (stop strings, client gone)
 * @param constraint        grammar constraint on the output (structured output), or null
 * @param endToken          end-of-generation token forced when the constraint completes (−1 if none)
 * @param adapter           LoRA adapter id of the model to run with (0 = the base model; see
 *                          {@code LoraApplier.applyMulti}); KV is never shared across adapters
 */
public record GenerationRequest(int[] prompt, SamplerConfig sampling, int maxTokens, IntPredicate isEndOfGeneration,
                                TokenSink listener, TokenConstraint constraint, int endToken, int adapter) {

    /** A request on the base model. */
    public GenerationRequest(int[] prompt, SamplerConfig sampling, int maxTokens, IntPredicate isEndOfGeneration,
                             TokenSink listener, TokenConstraint constraint, int endToken) {
        this(prompt, sampling, maxTokens, isEndOfGeneration, listener, constraint, endToken, 0);
    }

    /** An unconstrained request. */
    public GenerationRequest(int[] prompt, SamplerConfig sampling, int maxTokens, IntPredicate isEndOfGeneration, TokenSink listener) {
        this(prompt, sampling, maxTokens, isEndOfGeneration, listener, null, -1);
    }

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("prompt must contain at least one token");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
        if (constraint != null && endToken < 0) {
            throw new IllegalArgumentException("a constrained request needs an end token to finish with");
        }
        if (adapter < 0) {
            throw new IllegalArgumentException("adapter id must be >= 0, got " + adapter);
        }
    }

    /** This request run with adapter {@code id} instead. */
    public GenerationRequest withAdapter(int id) {
        return new GenerationRequest(prompt, sampling, maxTokens, isEndOfGeneration, listener, constraint, endToken, id);
    }

    /** Streaming callback, called on the engine thread: keep it short. */
    @FunctionalInterface
    public interface TokenSink {
        /**
         * @param token  the sampled token
         * @param logits the distribution it was sampled from [vocab] (valid only during the call)
         * @return false to stop generating
         */
        boolean onToken(int token, float[] logits);
    }
}
