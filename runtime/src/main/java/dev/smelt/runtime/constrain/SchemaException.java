package dev.smelt.runtime.constrain;

/** A JSON schema that cannot be enforced; the message names the JSON pointer and the keyword. */
public final class SchemaException extends RuntimeException {
    public SchemaException(String pointer, String message) {
        super("schema" + (pointer.isEmpty() ? "" : " at " + pointer) + ": " + message);
    }
}
