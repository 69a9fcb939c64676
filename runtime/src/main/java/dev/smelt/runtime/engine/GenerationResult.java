package dev.smelt.runtime.engine;

/**
 * A finished request.
 *
 * @param tokens         generated tokens
 * @param finishReason   "stop" (end token or listener), "length" (max tokens), "cancelled", "error"
 * @param promptTokens   prompt length
 * @param cachedTokens   prompt tokens reused from a slot's cache (prefix reuse)
 * @param queueNanos     time waiting for a slot
 * @param firstTokenNanos time from submission to the first token
 * @param totalNanos     time from submission to completion
 */
public record GenerationResult(int[] tokens, String finishReason, int promptTokens, int cachedTokens, long queueNanos,
                               long firstTokenNanos, long totalNanos, Throwable error) {
}
