package dev.smelt.model;

/** A model file that is well-formed GGUF but cannot be run: the message names the file and the field. */
public final class ModelException extends RuntimeException {
    public ModelException(String message) {
        super(message);
    }
}
