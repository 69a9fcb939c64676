package dev.smelt.runtime.engine;

/** The engine's wait queue is full; callers should retry later (HTTP 429 with Retry-After). */
public final class QueueFullException extends RuntimeException {
    public QueueFullException(int capacity) {
        super("server busy: the request queue is full (" + capacity + " waiting); retry later");
    }
}
