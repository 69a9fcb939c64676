package dev.smelt.server;

import dev.smelt.server.http.ApiException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ollama's {@code keep_alive}: a number of seconds, or a Go duration string ("5m", "1h30m", "10s",
 * "500ms"); negative = keep loaded forever, 0 = unload when the request ends. Stateless.
 */
public final class OllamaDurations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private OllamaDurations() {
    }

    static Duration parse(JsonNode v, String field) {
        if (v.isNumber()) {
            return Duration.ofMillis(Math.round(v.asDouble() * 1000));
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("'" + field + "' must be a duration such as \"5m\" or a number of seconds, got " + v, field);
        }
        return parse(v.asText(), field);
    }

    /** Parses a duration for the CLI ({@code --keep-alive 5m}); IllegalArgumentException names the bad value. */
    public static Duration parseOption(String s, String option) {
        try {
            return parse(s, option);
        } catch (ApiException e) {
            throw new IllegalArgumentException(option + " must be a duration such as 5m, 1h30m, 300 (seconds) or -1 (forever), got '" + s + "'");
        }
    }

    static Duration parse(String s, String field) {
        String t = s.strip();
        boolean negative = t.startsWith("-");
        if (negative) {
            t = t.substring(1);
        }
        if (t.matches("\\d+(\\.\\d+)?")) {
            Duration d = Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
            return negative ? d.negated() : d;
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
            throw ApiException.badRequest("'" + field + "' must be a duration such as \"5m\", \"1h30m\" or a number of seconds, got '" + s + "'", field);
        }
        Duration d = Duration.ofNanos((long) nanos);
        return negative ? d.negated() : d;
    }
}
