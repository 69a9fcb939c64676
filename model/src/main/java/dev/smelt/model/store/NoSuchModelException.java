package dev.smelt.model.store;

import java.io.IOException;

/** A name that is not in the store, or a stored name whose blob is gone; the message says what to do. */
public final class NoSuchModelException extends IOException {
    public NoSuchModelException(String message) {
        super(message);
    }
}
