package dev.smelt.server;

import dev.smelt.runtime.engine.DraftModelDrafter;
import dev.smelt.runtime.engine.EngineOptions;
import java.nio.file.Path;

/**
 * How served models decode beyond sampling: jump-forward under structured output, and speculative decoding for
 * temperature-0 requests (drafts from prompt lookup or from a small draft model, verified in one batched step, so the
 * output is what non-speculative decoding gives). Defaults as llama-server's: draft at most 16 tokens, at least 0,
 * and a draft model stops drafting below p 0.75.
 *
 * @param jumpForward append the tokens a JSON schema forces without sampling them (on by default)
 * @param lookup      draft from the sequence's own earlier tokens (prompt lookup / n-gram speculation)
 * @param draftModel  a small GGUF model with the same tokenizer to draft with, or null (wins over {@code lookup})
 */
public record DecodingConfig(boolean jumpForward, boolean lookup, Path draftModel, int draftMax, int draftMin, float draftPMin) {
    public static final DecodingConfig DEFAULT = new DecodingConfig(true, false, null, EngineOptions.DEFAULT_DRAFT_MAX,
            EngineOptions.DEFAULT_DRAFT_MIN, DraftModelDrafter.DEFAULT_P_MIN);

    /** Rejects impossible draft sizes, naming the flag. */
    public DecodingConfig {
        if (draftMax < 1) {
            throw new IllegalArgumentException("--draft-max must be >= 1, got " + draftMax);
        }
        if (draftMin < 0 || draftMin > draftMax) {
            throw new IllegalArgumentException("--draft-min must be in [0, --draft-max " + draftMax + "], got " + draftMin);
        }
        if (!(draftPMin >= 0 && draftPMin <= 1)) {
            throw new IllegalArgumentException("--draft-p-min must be in [0, 1], got " + draftPMin);
        }
    }

    public boolean speculative() {
        return lookup || draftModel != null;
    }
}
