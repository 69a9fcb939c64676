package dev.smelt.model.gguf;

import java.io.IOException;

/** A GGUF file that cannot be read: the message names the file and the byte offset of the problem. */
public final class GgufException extends IOException {
    private final long offset;

    public GgufException(String file, long offset, String message) {
        super(file + ": at byte offset " + offset + ": " + message);
        this.offset = offset;
    }

    /** Byte offset in the file where the problem was found. */
    public long offset() {
        return offset;
    }
}
