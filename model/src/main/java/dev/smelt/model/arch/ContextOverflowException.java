package dev.smelt.model.arch;

/** The sequence would exceed the context (KV cache capacity). */
public final class ContextOverflowException extends RuntimeException {
    private final int needed;
    private final int capacity;

    public ContextOverflowException(int needed, int capacity) {
        super("context exceeded: " + needed + " positions needed but the context holds " + capacity
                + " (raise --ctx, or shorten the prompt / max tokens)");
        this.needed = needed;
        this.capacity = capacity;
    }

    public int needed() {
        return needed;
    }

    public int capacity() {
        return capacity;
    }
}
