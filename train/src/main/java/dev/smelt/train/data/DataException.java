package dev.smelt.train.data;

/** A training example that cannot be used; the message starts with {@code file:line}. */
public final class DataException extends IllegalArgumentException {
    private final String source;

    public DataException(String source, String message) {
        super(source + ": " + message);
        this.source = source;
    }

    /** {@code file:line} of the offending example. */
    public String source() {
        return source;
    }
}
