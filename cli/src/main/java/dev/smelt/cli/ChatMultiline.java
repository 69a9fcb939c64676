package dev.smelt.cli;

/**
 * When a chat input continues on the next line, and the text it stands for. Two forms, as in Ollama:
 * a line ending in a backslash continues (the backslash becomes a line break), and a {@code """} at the
 * start opens a block that runs to the next line ending in {@code """}. Shared by the terminal and the
 * piped input so both read the same turns. Stateless.
 */
final class ChatMultiline {
    static final String QUOTES = "\"\"\"";

    private ChatMultiline() {
    }

    /** True when {@code buffer} (the lines typed so far, joined by '\n') is not a complete input yet. */
    static boolean needsMore(String buffer) {
        String s = buffer.strip();
        if (s.startsWith(QUOTES)) {
            return !(s.length() >= 2 * QUOTES.length() && s.endsWith(QUOTES));
        }
        return buffer.endsWith("\\");
    }

    /** The text a complete input stands for: block quotes and continuation backslashes removed. */
    static String text(String buffer) {
        String s = buffer.strip();
        if (s.startsWith(QUOTES) && s.length() >= 2 * QUOTES.length() && s.endsWith(QUOTES)) {
            return s.substring(QUOTES.length(), s.length() - QUOTES.length()).strip();
        }
        return buffer.replace("\\\n", "\n").strip();
    }
}
