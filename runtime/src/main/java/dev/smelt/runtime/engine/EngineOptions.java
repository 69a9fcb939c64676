package dev.smelt.runtime.engine;

/**
 * Decoding options of a {@link BatchEngine} beyond its sizes.
 *
 * @param jumpForward under a grammar constraint, append the tokens the grammar alone determines in one forward
 *                    instead of sampling them one by one ({@link dev.smelt.runtime.constrain.TokenConstraint#forcedTokens})
 * @param drafter     speculative decoding's proposer for greedy (temperature 0) requests, or null for none
 * @param draftMax    most draft tokens verified per sequence and step (llama-server's {@code --draft-max}, default 16)
 * @param draftMin    fewer drafted tokens than this are not verified (llama-server's {@code --draft-min}, default 0)
 */
public record EngineOptions(boolean jumpForward, Drafter drafter, int draftMax, int draftMin) {
    public static final int DEFAULT_DRAFT_MAX = 16;
    public static final int DEFAULT_DRAFT_MIN = 0;

    /** Jump-forward on, no speculation. */
    public static final EngineOptions DEFAULT = new EngineOptions(true, null, DEFAULT_DRAFT_MAX, DEFAULT_DRAFT_MIN);

    public EngineOptions {
        if (draftMax < 1 || draftMin < 0 || draftMin > draftMax) {
            throw new IllegalArgumentException("draft sizes must satisfy 0 <= min <= max and max >= 1, got min " + draftMin + ", max " + draftMax);
        }
    }

    public EngineOptions withJumpForward(boolean on) {
        return new EngineOptions(on, drafter, draftMax, draftMin);
    }

    public EngineOptions withDrafter(Drafter d) {
        return new EngineOptions(jumpForward, d, draftMax, draftMin);
    }
}
