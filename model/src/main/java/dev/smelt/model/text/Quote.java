package dev.smelt.model.text;

/**
 * Quotes a value read from a file or request into an error message. A value is cut at {@link #MAX_CHARS}
 * characters so that a hostile 10 MB string cannot flood stderr or a log; the cut says how long the value was.
 * Stateless.
 */
public final class Quote {
    /** Longest part of a value an error message repeats. */
    public static final int MAX_CHARS = 200;

    private Quote() {
    }

    /** {@code 'value'}, cut at {@link #MAX_CHARS} characters. */
    public static String of(Object value) {
        return "'" + cut(value) + "'";
    }

    /** The value as text, cut at {@link #MAX_CHARS} characters with a note of the full length. */
    public static String cut(Object value) {
        String s = String.valueOf(value);
        if (s.length() <= MAX_CHARS) {
            return s;
        }
        return s.substring(0, MAX_CHARS) + "… (" + s.length() + " characters)";
    }
}
