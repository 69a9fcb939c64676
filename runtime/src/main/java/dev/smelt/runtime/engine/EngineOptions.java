package dev.smelt.runtime.engine;

/**
 * Decoding options of a {@link BatchEngine} beyond its sizes.
 *
 * @param jumpForward under a grammar constraint, append the tokens the grammar alone determines in one forward
 *                    instead of sampling them one by one ({@link dev.smelt.runtime.constrain.TokenConstraint#forcedTokens})
 * @param drafter     speculative decoding's proposer for greedy (temperature 0) requests, or null for none
 * @param draftMax    most draft tokens verified per sequence and step (llama-server's {@code --draft-max}, default 16)
 * @param draftMin    fewer drafted tokens than this are not verified (llama-server's {@code --draft-min}, default 0)
 * @param prefillChunk prompt tokens per step while other sequences wait on the step (decoding, or other prompts:
 *                     Sarathi-Serve's token budget; see {@link #DEFAULT_PREFILL_CHUNK}); a lone prompt on an idle engine
 *                     takes the whole step
 */
public record EngineOptions(boolean jumpForward, Drafter drafter, int draftMax, int draftMin, int prefillChunk) {
    public static final int DEFAULT_DRAFT_MAX = 16;
    public static final int DEFAULT_DRAFT_MIN = 0;
    /**
     * Prompt tokens a step takes while streams are decoding or several prompts wait. A step's time grows with its rows on a CPU (the
     * prompt GEMM is compute-bound), so a burst of prompts put into one step delays every prompt's first token and
     * every stream's next token by the whole burst, and the requests, started together, finish together and
     * arrive together again. Taking the prompts first come, first served, this many tokens a step, lets the oldest
     * get its first token after one short step and spreads the requests' lifetimes over steps, so later arrivals
     * meet a step with room (docs/BENCHMARKS.md, issue 14 scheduler). Each extra step costs one pass over the
     * weights that the decode rows in it needed anyway.
     */
    public static final int DEFAULT_PREFILL_CHUNK = 64;

    /** Jump-forward on, no speculation. */
    public static final EngineOptions DEFAULT = new EngineOptions(true, null, DEFAULT_DRAFT_MAX, DEFAULT_DRAFT_MIN, DEFAULT_PREFILL_CHUNK);

    public EngineOptions {
        if (draftMax < 1 || draftMin < 0 || draftMin > draftMax) {
            throw new IllegalArgumentException("draft sizes must satisfy 0 <= min <= max and max >= 1, got min " + draftMin + ", max " + draftMax);
        }
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("prefill chunk must be at least 1 token, got " + prefillChunk);
        }
    }

    /** The default prefill chunk. */
    public EngineOptions(boolean jumpForward, Drafter drafter, int draftMax, int draftMin) {
        this(jumpForward, drafter, draftMax, draftMin, DEFAULT_PREFILL_CHUNK);
    }

    public EngineOptions withJumpForward(boolean on) {
        return new EngineOptions(on, drafter, draftMax, draftMin, prefillChunk);
    }

    public EngineOptions withDrafter(Drafter d) {
        return new EngineOptions(jumpForward, d, draftMax, draftMin, prefillChunk);
    }

    public EngineOptions withPrefillChunk(int tokens) {
        return new EngineOptions(jumpForward, drafter, draftMax, draftMin, tokens);
    }
}
