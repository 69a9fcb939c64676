package dev.smelt.runtime.constrain;

/**
 * Constrained decoding reached a point where no token of the vocabulary may come next: the output so far is
 * a valid prefix, but this vocabulary cannot spell any continuation the schema allows. Ending the answer
 * there would pass off a cut document as a finished one ("stop"), so the request fails with this error
 * instead, as llama.cpp fails a generation whose grammar stack empties.
 */
public final class ConstraintDeadEndException extends RuntimeException {
    public ConstraintDeadEndException(String message) {
        super(message);
    }
}
