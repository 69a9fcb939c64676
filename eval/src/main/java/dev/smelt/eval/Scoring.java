package dev.smelt.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.task.Prompts;
import dev.smelt.task.TaskSpec;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scores one answer against the expected output, by the task's metric:
 * <ul>
 * <li>{@code label}: the answer names the expected label ({@link Prompts#matchLabel}); unknown answers are {@value #INVALID}
 * <li>{@code exact}: equal after trimming and collapsing whitespace
 * <li>{@code json}: the answer is JSON (validity), field-level F1 of its leaves (path = value pairs) against the
 *     expected JSON, correct when the two values are equal
 * <li>{@code numeric}: GSM8K style: the number after {@code ####} (else the last number in the text) equals the
 *     expected one numerically (commas, {@code $} and a trailing period ignored)
 * </ul>
 * Stateless, thread-safe.
 */
public final class Scoring {
    public static final String INVALID = "<invalid>";
    private static final Pattern HASHES = Pattern.compile("####\\s*\\$?\\s*(-?[\\d,]*\\.?\\d+)");
    private static final Pattern NUMBER = Pattern.compile("-?\\$?\\d[\\d,]*(?:\\.\\d+)?|-?\\.\\d+");

    private Scoring() {
    }

    /**
     * @param predicted  normalized prediction (the label, the JSON text, the number) or {@value #INVALID}
     * @param value      the score in [0, 1] (field F1 for json; 1/0 otherwise)
     * @param valid      the answer has the task's form (a label of the set, JSON, a number)
     */
    public record Score(boolean correct, double value, String predicted, boolean valid) {
    }

    public static Score score(TaskSpec task, String expected, String answer) {
        return switch (task.metric()) {
            case "label" -> label(task.labels(), expected, answer);
            case "exact" -> exact(expected, answer);
            case "json" -> json(expected, answer);
            case "numeric" -> numeric(expected, answer);
            default -> throw new IllegalArgumentException("unknown metric '" + task.metric() + "'");
        };
    }

    static Score label(List<String> labels, String expected, String answer) {
        Optional<String> l = Prompts.matchLabel(answer, labels);
        boolean ok = l.isPresent() && l.get().equals(expected.strip());
        return new Score(ok, ok ? 1 : 0, l.orElse(INVALID), l.isPresent());
    }

    static Score exact(String expected, String answer) {
        String a = norm(answer);
        boolean ok = a.equals(norm(expected));
        return new Score(ok, ok ? 1 : 0, a, true);
    }

    private static String norm(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s+", " ");
    }

    static Score json(String expected, String answer) {
        JsonNode exp = Prompts.extractJson(expected).orElseThrow(() -> new IllegalArgumentException("expected output is not JSON: " + expected));
        Optional<JsonNode> got = Prompts.extractJson(answer);
        if (got.isEmpty()) {
            return new Score(false, 0, INVALID, false);
        }
        return new Score(exp.equals(got.get()), fieldF1(exp, got.get()), got.get().toString(), true);
    }

    /** F1 of the (path, leaf value) pairs of two JSON values; 1.0 when both have no leaves. */
    public static double fieldF1(JsonNode expected, JsonNode got) {
        Map<String, Integer> e = new HashMap<>();
        Map<String, Integer> g = new HashMap<>();
        leaves(expected, "", e);
        leaves(got, "", g);
        int ne = e.values().stream().mapToInt(Integer::intValue).sum();
        int ng = g.values().stream().mapToInt(Integer::intValue).sum();
        if (ne == 0 && ng == 0) {
            return 1.0;
        }
        int tp = 0;
        for (var x : g.entrySet()) {
            tp += Math.min(x.getValue(), e.getOrDefault(x.getKey(), 0));
        }
        if (tp == 0) {
            return 0;
        }
        double p = (double) tp / ng;
        double r = (double) tp / ne;
        return 2 * p * r / (p + r);
    }

    private static void leaves(JsonNode n, String path, Map<String, Integer> out) {
        if (n.isObject()) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                leaves(n.get(f), path + "/" + f, out);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                leaves(n.get(i), path + "/" + i, out);
            }
        } else {
            String v = n.isNumber() ? n.decimalValue().stripTrailingZeros().toPlainString() : n.toString();
            out.merge(path + "=" + v, 1, Integer::sum);
        }
    }

    static Score numeric(String expected, String answer) {
        BigDecimal exp = extractNumber(expected).orElseThrow(() -> new IllegalArgumentException("expected output has no number: " + expected));
        Optional<BigDecimal> got = extractNumber(answer);
        if (got.isEmpty()) {
            return new Score(false, 0, INVALID, false);
        }
        boolean ok = got.get().compareTo(exp) == 0;
        return new Score(ok, ok ? 1 : 0, got.get().stripTrailingZeros().toPlainString(), true);
    }

    /** The number after {@code ####}, else the last number in the text. */
    public static Optional<BigDecimal> extractNumber(String s) {
        if (s == null) {
            return Optional.empty();
        }
        Matcher h = HASHES.matcher(s);
        if (h.find()) {
            return parse(h.group(1));
        }
        Matcher m = NUMBER.matcher(s);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return last == null ? Optional.empty() : parse(last);
    }

    private static Optional<BigDecimal> parse(String raw) {
        String t = raw.replace(",", "").replace("$", "");
        try {
            return Optional.of(new BigDecimal(t));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
