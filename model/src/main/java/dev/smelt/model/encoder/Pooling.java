package dev.smelt.model.encoder;

import java.util.Locale;

/** How token vectors become one sentence vector (sentence-transformers' pooling modes). */
public enum Pooling {
    /** Average of every token vector of the sequence, [CLS] and [SEP] included (padding never exists here). */
    MEAN,
    /** The vector of the first token, [CLS]. */
    CLS;

    /** Parses "mean" / "cls" (any case); the error names the accepted values. */
    public static Pooling parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("pooling must be 'mean' or 'cls', got '" + s + "'");
        }
    }
}
