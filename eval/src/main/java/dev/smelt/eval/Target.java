package dev.smelt.eval;

import java.util.function.Consumer;

/**
 * Anything that answers a {@link Query}: a local GGUF model, a remote OpenAI-compatible endpoint, a
 * classifier, or a router over other targets. Implementations say whether they are thread-safe;
 * {@link #answer} may be called from several threads only by those that are.
 */
public interface Target extends AutoCloseable {
    /** Name shown in reports and in {@link Answer#target()}. */
    String name();

    /** Answers one query; throws on failure (a router falls back on any exception). */
    Answer answer(Query q) throws Exception;

    /**
     * Answers while streaming text deltas to {@code onDelta}. The default streams the whole answer as one
     * delta; a target that fails after emitting deltas throws {@link MidStreamException}.
     */
    default Answer answer(Query q, Consumer<String> onDelta) throws Exception {
        Answer a = answer(q);
        onDelta.accept(a.text());
        return a;
    }

    /** True when answers cost nothing (local models, classifiers): budgets never block such a target. */
    default boolean isFree() {
        return false;
    }

    /** True when {@link #answer} may be called concurrently. */
    default boolean isThreadSafe() {
        return false;
    }

    @Override
    default void close() throws Exception {
    }

    /** A failure after part of the answer was already streamed; {@code emitted} is what the caller has seen. */
    final class MidStreamException extends Exception {
        private final String emitted;

        public MidStreamException(String emitted, Throwable cause) {
            super("failed mid-stream after " + emitted.length() + " characters: " + cause.getMessage(), cause);
            this.emitted = emitted;
        }

        public String emitted() {
            return emitted;
        }
    }
}
