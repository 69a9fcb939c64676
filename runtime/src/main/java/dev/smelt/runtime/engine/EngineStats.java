package dev.smelt.runtime.engine;

import java.util.concurrent.atomic.AtomicLong;

/** Counters the server exports as metrics. Thread-safe. */
public final class EngineStats {
    public final AtomicLong submitted = new AtomicLong();
    public final AtomicLong rejected = new AtomicLong();
    public final AtomicLong finished = new AtomicLong();
    public final AtomicLong promptTokens = new AtomicLong();
    public final AtomicLong promptTokensReused = new AtomicLong();
    /** Requests that started from a prompt prefix copied from another slot's cache. */
    public final AtomicLong promptPrefixCopies = new AtomicLong();
    public final AtomicLong generatedTokens = new AtomicLong();
    public final AtomicLong steps = new AtomicLong();
    public final AtomicLong stepTokens = new AtomicLong();
    public final AtomicLong stepNanos = new AtomicLong();
    public final AtomicLong firstTokenNanosTotal = new AtomicLong();
    public final AtomicLong firstTokenCount = new AtomicLong();
    /** Requests that ended with an error (an exception while running them, or in a step they were part of). */
    public final AtomicLong failedRequests = new AtomicLong();
    /** Forward steps that threw (every request in the step failed; the engine went on). */
    public final AtomicLong failedSteps = new AtomicLong();

    /** Tokens appended by jump-forward decoding (forced by the grammar, not sampled). */
    public final AtomicLong jumpForwardTokens = new AtomicLong();
    /** Speculative decoding: draft tokens verified, and those the model agreed with (acceptance = accepted / drafted). */
    public final AtomicLong draftTokens = new AtomicLong();
    public final AtomicLong draftAccepted = new AtomicLong();

    void recordStep(int tokens, long nanos) {
        steps.incrementAndGet();
        stepTokens.addAndGet(tokens);
        stepNanos.addAndGet(nanos);
    }

    void recordFirstToken(long nanos) {
        firstTokenNanosTotal.addAndGet(nanos);
        firstTokenCount.incrementAndGet();
    }
}
