package dev.smelt.client;

/** A teacher call that failed for good (after retries, or at once for a non-retryable status). */
public class TeacherException extends Exception {
    private final int status;

    /** @param status the last HTTP status, or 0 for a transport failure (timeout, connection) */
    public TeacherException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
