package dev.smelt.server.tools;

/**
 * Streams content while holding back text that may be (the start of) a tool call; at the end the held
 * text is parsed into calls. One per choice; not thread-safe.
 */
public final class ToolStreamFilter {
    private final ToolFormat format;
    private final StringBuilder all = new StringBuilder();
    private int emitted;
    private boolean holding;

    /** @param forcedPrefix text already in the prompt that opened a call (forced tool choice), or "" */
    public ToolStreamFilter(ToolFormat format, String forcedPrefix) {
        this.format = format;
        all.append(forcedPrefix);
        holding = !forcedPrefix.isEmpty();
    }

    /** Adds generated text; returns the content that can be shown now. */
    public String push(String text) {
        all.append(text);
        if (holding) {
            return "";
        }
        String rest = all.substring(emitted);
        if (format == ToolFormat.LLAMA3_JSON) {
            if (emitted > 0) {
                emitted = all.length();
                return rest;
            }
            int safe = format.safeContentLength(rest);
            emitted += safe;
            return rest.substring(0, safe);
        }
        int at = rest.indexOf(format.marker());
        if (at >= 0) {
            holding = true;
            emitted += at;
            return rest.substring(0, at);
        }
        int safe = format.safeContentLength(rest);
        emitted += safe;
        return rest.substring(0, safe);
    }

    /** The held text, parsed: its remaining content (to emit) and the calls. */
    public ParsedOutput finish(String idPrefix) {
        String rest = all.substring(emitted);
        emitted = all.length();
        if (rest.isEmpty()) {
            return ParsedOutput.text("");
        }
        return format.parse(rest, idPrefix);
    }
}
