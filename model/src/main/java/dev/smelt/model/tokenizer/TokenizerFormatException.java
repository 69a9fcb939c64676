package dev.smelt.model.tokenizer;

import java.io.IOException;

/** A tokenizer file (tokenizer.json, GGUF metadata) is malformed or uses an unsupported feature. */
public final class TokenizerFormatException extends IOException {
    public TokenizerFormatException(String message) {
        super(message);
    }
}
