package dev.smelt.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.client.Canonical;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A task: what the teacher is asked and how answers are checked. Read from YAML or JSON:
 * <pre>
 * name: banking77                  # required
 * instructions: Classify ...       # required: the system prompt
 * labels: [card_arrival, ...]      # a label set (classification), or:
 * output_schema: {type: object, …} # a JSON Schema for structured answers
 * examples: [{input: ..., output: ...}]   # few-shot turns
 * input_field: text                # field/column of the input (default text)
 * label_field: label               # field/column of the expected output (default label)
 * metric: label|exact|json|numeric # eval scoring (default: label with labels, json with a schema, else exact)
 * max_tokens: 32                   # teacher/student answer budget
 * max_input_chars / min_output_chars / max_output_chars: length gates
 * near_duplicate: 0.7              # drop inputs whose shingle Jaccard with a kept one is >= this (0 = off)
 * top_logprobs: 5                  # ask the teacher for logprobs (kept in logprobs.jsonl)
 * judge_min_score: 7               # optional: the teacher scores each answer 1-10, lower ones are dropped
 * </pre>
 * Immutable.
 */
public record TaskSpec(String name, String instructions, List<String> labels, JsonNode outputSchema, List<Example> examples,
                       String inputField, String labelField, String metric, int maxTokens, int maxInputChars, int minOutputChars,
                       int maxOutputChars, double nearDuplicate, Integer topLogprobs, Integer judgeMinScore) {

    /** A few-shot example; output is text, or JSON text for schema tasks. */
    public record Example(String input, String output) {
    }

    private static final Set<String> FIELDS = Set.of("name", "instructions", "labels", "output_schema", "examples", "input_field",
            "label_field", "metric", "max_tokens", "max_input_chars", "min_output_chars", "max_output_chars", "near_duplicate",
            "top_logprobs", "judge_min_score");
    private static final Set<String> METRICS = Set.of("label", "exact", "json", "numeric");

    public boolean isClassification() {
        return !labels.isEmpty();
    }

    public static TaskSpec load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        boolean json = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".json");
        ObjectMapper m = json ? Canonical.JSON : YamlFiles.MAPPER;
        JsonNode root;
        try {
            String text = DataFile.utf8(file);
            root = m.readTree(text);
            if (!json) {
                YamlFiles.keepListsAsWritten(text, root, Set.of("labels"));
            }
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new IOException(file + (loc != null ? ":" + loc.getLineNr() : "") + ": cannot parse the task: "
                    + YamlFiles.cut(e.getOriginalMessage()));
        }
        return parse(file.toString(), root);
    }

    /** Builds a task from a parsed tree; {@code where} names the source in errors. */
    public static TaskSpec parse(String where, JsonNode root) throws IOException {
        if (root == null || !root.isObject()) {
            throw new IOException(where + ": the task must be a mapping of fields");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IOException(where + ": unknown field '" + f + "' (known: " + new java.util.TreeSet<>(FIELDS) + ")");
            }
        }
        String name = text(where, root, "name", null);
        String instr = text(where, root, "instructions", null);
        List<String> labels = new ArrayList<>();
        JsonNode l = root.get("labels");
        if (l != null) {
            if (!l.isArray() || l.isEmpty()) {
                throw new IOException(where + ": field 'labels' must be a non-empty list of strings");
            }
            for (JsonNode x : l) {
                if (!x.isValueNode() || x.isNull() || x.asText().isBlank()) {
                    throw new IOException(where + ": field 'labels' must be a list of non-empty strings, got " + YamlFiles.cut(x));
                }
                if (labels.contains(x.asText())) {
                    throw new IOException(where + ": label " + "'" + YamlFiles.cut(x.asText()) + "'" + " is listed twice");
                }
                labels.add(x.asText());
            }
        }
        JsonNode schema = root.get("output_schema");
        if (schema != null && !schema.isObject()) {
            throw new IOException(where + ": field 'output_schema' must be a JSON Schema object");
        }
        if (schema != null && !labels.isEmpty()) {
            throw new IOException(where + ": give either 'labels' or 'output_schema', not both");
        }
        List<Example> ex = new ArrayList<>();
        JsonNode e = root.get("examples");
        if (e != null) {
            if (!e.isArray()) {
                throw new IOException(where + ": field 'examples' must be a list of {input, output}");
            }
            for (int i = 0; i < e.size(); i++) {
                JsonNode x = e.get(i);
                if (!x.path("input").isValueNode() || x.path("output").isMissingNode()) {
                    throw new IOException(where + ": examples[" + i + "] needs 'input' (text) and 'output'");
                }
                JsonNode out = x.get("output");
                ex.add(new Example(x.get("input").asText(), out.isValueNode() ? out.asText() : out.toString()));
            }
        }
        String metric = text(where, root, "metric", !labels.isEmpty() ? "label" : schema != null ? "json" : "exact");
        if (!METRICS.contains(metric)) {
            throw new IOException(where + ": field 'metric' must be one of " + new java.util.TreeSet<>(METRICS) + ", got '" + metric + "'");
        }
        int maxTokens = integer(where, root, "max_tokens", labels.isEmpty() ? 512 : 32, 1);
        Integer top = root.has("top_logprobs") ? integer(where, root, "top_logprobs", 0, 0) : null;
        Integer judge = root.has("judge_min_score") ? integer(where, root, "judge_min_score", 0, 1) : null;
        if (judge != null && judge > 10) {
            throw new IOException(where + ": field 'judge_min_score' must be 1..10, got " + judge);
        }
        double nd = root.path("near_duplicate").asDouble(0.7);
        if (root.has("near_duplicate") && (!root.get("near_duplicate").isNumber() || nd < 0 || nd > 1)) {
            throw new IOException(where + ": field 'near_duplicate' must be a number in [0, 1], got " + root.get("near_duplicate"));
        }
        return new TaskSpec(name, instr, List.copyOf(labels), schema, List.copyOf(ex), text(where, root, "input_field", "text"),
                text(where, root, "label_field", "label"), metric, maxTokens, integer(where, root, "max_input_chars", 8000, 1),
                integer(where, root, "min_output_chars", 1, 0), integer(where, root, "max_output_chars", 8000, 1), nd, top, judge);
    }

    private static String text(String where, JsonNode root, String f, String dflt) throws IOException {
        JsonNode v = root.get(f);
        if (v == null || v.isNull()) {
            if (dflt == null) {
                throw new IOException(where + ": missing required field '" + f + "'");
            }
            return dflt;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IOException(where + ": field '" + f + "' must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    private static int integer(String where, JsonNode root, String f, int dflt, int min) throws IOException {
        JsonNode v = root.get(f);
        if (v == null) {
            return dflt;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min) {
            throw new IOException(where + ": field '" + f + "' must be an integer >= " + min + ", got " + v);
        }
        return v.asInt();
    }
}
