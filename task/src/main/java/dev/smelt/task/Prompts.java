package dev.smelt.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the chat prompt of a task (system = instructions + the label list or schema, few-shot turns,
 * then the input) and reads answers back (label matching, JSON extraction). Stateless, thread-safe.
 */
public final class Prompts {
    private Prompts() {
    }

    /** The system prompt: the task's instructions and its answer format. */
    public static String system(TaskSpec t) {
        StringBuilder sb = new StringBuilder(t.instructions().strip());
        if (t.isClassification()) {
            sb.append("\n\nAnswer with exactly one label from this list, and nothing else:\n");
            t.labels().forEach(l -> sb.append(l).append('\n'));
        } else if (t.outputSchema() != null) {
            sb.append("\n\nAnswer with one JSON object that matches this JSON Schema, and nothing else:\n").append(t.outputSchema()).append('\n');
        }
        return sb.toString().strip();
    }

    /** Messages for one input: system, few-shot user/assistant pairs, the input. */
    public static List<Map<String, String>> messages(TaskSpec t, String input) {
        List<Map<String, String>> m = new ArrayList<>();
        m.add(Map.of("role", "system", "content", system(t)));
        for (TaskSpec.Example e : t.examples()) {
            m.add(Map.of("role", "user", "content", e.input()));
            m.add(Map.of("role", "assistant", "content", e.output()));
        }
        m.add(Map.of("role", "user", "content", input));
        return m;
    }

    /**
     * The label an answer names: exact, then ignoring case, surrounding quotes/backticks, a trailing period
     * and a "label:" prefix, then the first line alone. Empty when it names none of them.
     */
    public static Optional<String> matchLabel(String answer, List<String> labels) {
        if (answer == null) {
            return Optional.empty();
        }
        for (String candidate : new String[] {answer, answer.strip().lines().findFirst().orElse("")}) {
            String a = clean(candidate);
            for (String l : labels) {
                if (l.equals(a)) {
                    return Optional.of(l);
                }
            }
            for (String l : labels) {
                if (l.equalsIgnoreCase(a)) {
                    return Optional.of(l);
                }
            }
        }
        return Optional.empty();
    }

    private static String clean(String s) {
        String a = s.strip();
        if (a.toLowerCase(Locale.ROOT).startsWith("label:")) {
            a = a.substring(6).strip();
        }
        while (true) {
            String before = a;
            if (a.endsWith(".")) {
                a = a.substring(0, a.length() - 1).strip();
            }
            if (a.length() >= 2 && (a.startsWith("\"") && a.endsWith("\"") || a.startsWith("'") && a.endsWith("'")
                    || a.startsWith("`") && a.endsWith("`"))) {
                a = a.substring(1, a.length() - 1).strip();
            }
            if (a.equals(before)) {
                return a;
            }
        }
    }

    /** Parses the JSON value in an answer, allowing a ```json fence around it; empty when it is not JSON. */
    public static Optional<JsonNode> extractJson(String answer) {
        if (answer == null) {
            return Optional.empty();
        }
        String a = answer.strip();
        if (a.startsWith("```")) {
            int nl = a.indexOf('\n');
            int end = a.lastIndexOf("```");
            if (nl > 0 && end > nl) {
                a = a.substring(nl + 1, end).strip();
            }
        }
        try {
            var parser = Canonical.JSON.createParser(a);
            JsonNode n = Canonical.JSON.readTree(parser);
            if (n == null || parser.nextToken() != null) {
                return Optional.empty(); // trailing text after the value
            }
            return Optional.of(n);
        } catch (JsonProcessingException e) {
            return Optional.empty();
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }
}
