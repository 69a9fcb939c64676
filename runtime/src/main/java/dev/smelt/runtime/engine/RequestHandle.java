package dev.smelt.runtime.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted request: its eventual result, and cancellation (e.g. the client disconnected). Thread-safe. */
public final class RequestHandle {
    final GenerationRequest request;
    final long submittedNanos;
    final long order; // submission order in its engine: prompts are prefilled first come, first served
    final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    volatile boolean cancelled;

    RequestHandle(GenerationRequest request, long submittedNanos, long order) {
        this.request = request;
        this.submittedNanos = submittedNanos;
        this.order = order;
    }

    /** Completes when the request finishes, is cancelled, or fails. */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /** Stops the request at the next engine step and frees its slot. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
