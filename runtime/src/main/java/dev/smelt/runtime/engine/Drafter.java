package dev.smelt.runtime.engine;

/**
 * Proposes tokens likely to follow a sequence (speculative decoding); the {@link BatchEngine} verifies them in one
 * forward step and keeps the longest prefix the model agrees with, so a drafter affects speed only, never output.
 * Called on the engine thread only; implementations need not be thread-safe.
 */
public interface Drafter extends AutoCloseable {
    /**
     * @param slot    the engine slot (a drafter may keep per-slot state, such as a draft model's KV cache)
     * @param history the sequence so far, prompt and generated tokens, [0, len)
     * @param max     most tokens to propose (≥ 1)
     * @param out     receives the proposal at [0, returned count)
     * @return tokens proposed, 0..max
     */
    int draft(int slot, int[] history, int len, int max, int[] out);

    /** A short name for metrics and logs ("lookup", "model"). */
    String kind();

    @Override
    default void close() {
    }
}
