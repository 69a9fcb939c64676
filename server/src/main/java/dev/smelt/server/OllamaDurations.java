package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.model.text.Quote;
import dev.smelt.server.http.ApiException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ollama's {@code keep_alive}: a number of seconds, or a Go duration string ("5m", "1h30m", "10s",
 * "500ms"); negative = keep loaded forever (as Ollama: "-5h" and "-1" alike), 0 = unload when the request
 * ends. Values beyond {@link #MAX} (about 292 years) are {@link #MAX}: no arithmetic on them can overflow.
 * Stateless.
 */
public final class OllamaDurations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /** The longest keep-alive: the largest duration whose nanoseconds fit a long. */
    static final Duration MAX = Duration.ofNanos(Long.MAX_VALUE);

    private OllamaDurations() {
    }

    /** {@code seconds} as a duration, clamped to ±{@link #MAX} (a sign is all a negative keep-alive means). */
    private static Duration ofSeconds(double seconds) {
        if (Double.isNaN(seconds)) {
            throw ApiException.badRequest("a duration must be a number of seconds, got NaN", "keep_alive");
        }
        double nanos = seconds * 1e9;
        if (Math.abs(nanos) >= Long.MAX_VALUE) {
            return nanos > 0 ? MAX : MAX.negated();
        }
        return Duration.ofNanos((long) nanos);
    }

    static Duration parse(JsonNode v, String field) {
        if (v.isNumber()) {
            return ofSeconds(v.asDouble());
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("'" + field + "' must be a duration such as \"5m\" or a number of seconds, got " + Quote.cut(v), field);
        }
        return parse(v.asText(), field);
    }

    /** Parses a duration for the CLI ({@code --keep-alive 5m}); IllegalArgumentException names the bad value. */
    public static Duration parseOption(String s, String option) {
        try {
            return parse(s, option);
        } catch (ApiException e) {
            throw new IllegalArgumentException(option + " must be a duration such as 5m, 1h30m, 300 (seconds) or -1 (forever), got " + Quote.of(s));
        }
    }

    static Duration parse(String s, String field) {
        String t = s.strip();
        boolean negative = t.startsWith("-");
        if (negative) {
            t = t.substring(1);
        }
        if (t.matches("\\d+(\\.\\d+)?")) {
            return ofSeconds(negative ? -Double.parseDouble(t) : Double.parseDouble(t));
        }
        Matcher m = PART.matcher(t);
        int pos = 0;
        double nanos = 0;
        while (m.find() && m.start() == pos) {
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            pos = m.end();
        }
        if (pos == 0 || pos != t.length()) {
            throw ApiException.badRequest("'" + field + "' must be a duration such as \"5m\", \"1h30m\" or a number of seconds, got " + Quote.of(s), field);
        }
        return ofSeconds((negative ? -nanos : nanos) / 1e9);
    }
}
