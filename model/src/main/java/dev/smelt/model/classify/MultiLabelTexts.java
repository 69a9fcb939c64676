package dev.smelt.model.classify;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A multi-label text dataset: each text carries a set of labels, possibly empty (NLU++ has utterances with no
 * intent; they are negatives for every label). Read from JSONL, where the label field is a JSON array of strings
 * (a string is one label, split on the separator; {@code []} or {@code ""} is the empty set), or from CSV, where the
 * label cell lists labels joined by the separator ({@code |} by default; an empty cell is the empty set). Labels are
 * trimmed, duplicates in a row dropped; an empty label between separators is an error. Errors name the file, line
 * (JSONL) or record (CSV) and field. Immutable.
 *
 * @param labels   each text's labels, in the order first written
 * @param multiple whether some row was written as a list: a JSONL array, or a value holding the separator. What
 *                 {@code classify-train} detects multi-label data by
 * @param detectedAt where the first such row is ("d.csv record 4: column 'label' holds the separator '|'"), so a
 *                 user whose single-label data holds the separator by accident sees which row made it multi-label;
 *                 null when {@code multiple} is false
 */
public record MultiLabelTexts(List<String> texts, List<List<String>> labels, boolean multiple, String detectedAt) {
    /** The separator of labels in one CSV cell (or JSONL string) unless the user names another. */
    public static final String DEFAULT_SEPARATOR = "|";

    public MultiLabelTexts {
        if (texts.size() != labels.size()) {
            throw new IllegalArgumentException(texts.size() + " texts but " + labels.size() + " label sets");
        }
        texts = List.copyOf(texts);
        labels = labels.stream().map(List::copyOf).toList();
    }

    /** Every label of the data set, sorted (the classifier's label order). */
    public List<String> labelNames() {
        return labels.stream().flatMap(List::stream).distinct().sorted().toList();
    }

    /**
     * A separator must be non-empty and hold no letter, digit, whitespace or quote (it would split labels or collide
     * with CSV quoting).
     */
    public static String checkSeparator(String sep) {
        if (sep == null || sep.isEmpty() || sep.chars().anyMatch(c -> Character.isLetterOrDigit(c) || Character.isWhitespace(c) || c == '"')) {
            throw new IllegalArgumentException("--label-separator must be non-empty without letters, digits, spaces or quotes, got '" + sep + "'");
        }
        return sep;
    }

    /** Reads {@code .csv} or {@code .jsonl}/{@code .json} by extension (as {@link LabeledTexts#read}). */
    public static MultiLabelTexts read(Path file, String textColumn, String labelColumn, String separator) throws IOException {
        checkSeparator(separator);
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".csv")) {
            return csv(file, textColumn, labelColumn, separator);
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            return jsonl(file, textColumn, labelColumn, separator);
        }
        throw new IOException(file + ": unknown data format; expected a .csv or .jsonl file");
    }

    static MultiLabelTexts jsonl(Path file, String textField, String labelField, String sep) throws IOException {
        List<String> t = new ArrayList<>();
        List<List<String>> l = new ArrayList<>();
        String detectedAt = null;
        String nonString = null;
        int line = 0;
        for (String s : dev.smelt.model.Utf8Text.read(file).split("\r?\n", -1)) {
            line++;
            if (s.isBlank()) {
                continue;
            }
            JsonNode n = LabeledTexts.jsonLine(s, file, line);
            if (n == null || !n.isObject()) {
                throw new IOException(file + " line " + line + ": expected a JSON object");
            }
            JsonNode text = n.get(textField);
            if (text == null || !text.isValueNode() || text.isNull()) {
                throw new IOException(file + " line " + line + ": field '" + textField + "' is " + (text == null || text.isNull() ? "missing" : "not a string"));
            }
            JsonNode v = n.get(labelField);
            String where = file + " line " + line + ": field '" + labelField + "'";
            if (v == null) {
                // NLU++ names its label field "intents": list the fields so the user sees which to name
                List<String> names = new ArrayList<>();
                n.fieldNames().forEachRemaining(names::add);
                throw new IOException(where + " is missing (fields: " + String.join(", ", names) + "; --label-column names the label field; "
                        + "write [] for a text with no label)");
            }
            if (v.isNull()) {
                throw new IOException(where + " is missing (write [] for a text with no label)");
            }
            List<String> set;
            if (v.isArray()) {
                detectedAt = detectedAt != null ? detectedAt : where + " is a JSON array";
                List<String> raw = new ArrayList<>();
                for (int i = 0; i < v.size(); i++) {
                    if (!v.get(i).isTextual()) {
                        throw new IOException(where + " element " + (i + 1) + " is " + v.get(i).getNodeType().toString().toLowerCase(java.util.Locale.ROOT)
                                + ", expected a string");
                    }
                    raw.add(v.get(i).asText());
                }
                set = cleaned(raw, where);
            } else if (v.isValueNode()) {
                if (!v.isTextual() && nonString == null) {
                    nonString = where + " is a " + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
                }
                if (detectedAt == null && v.asText().contains(sep)) {
                    detectedAt = where + " holds the separator '" + sep + "'";
                }
                set = split(v.asText(), sep, where);
            } else {
                throw new IOException(where + " is an object; expected a string or an array of strings");
            }
            t.add(text.asText());
            l.add(set);
        }
        if (detectedAt != null && nonString != null) {
            // A number or boolean is a fine single-label class name ({"label": 1}), but in a file of label sets it is
            // almost surely a mistake, as a number inside an array is.
            throw new IOException(nonString + ", expected a string or an array of strings (multi-label data: " + detectedAt + ")");
        }
        return checked(new MultiLabelTexts(t, l, detectedAt != null, detectedAt), file);
    }

    static MultiLabelTexts csv(Path file, String textColumn, String labelColumn, String sep) throws IOException {
        LabeledTexts.CsvColumns cols = LabeledTexts.csvColumns(file, textColumn, labelColumn);
        List<List<String>> rows = cols.rows();
        int ti = cols.text();
        int li = cols.label();
        List<String> t = new ArrayList<>();
        List<List<String>> l = new ArrayList<>();
        String detectedAt = null;
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() == 1 && row.getFirst().isEmpty()) {
                continue;
            }
            if (row.size() != rows.getFirst().size()) {
                throw new IOException(file + " record " + (r + 1) + ": " + row.size() + " fields, header has " + rows.getFirst().size());
            }
            t.add(row.get(ti));
            String where = file + " record " + (r + 1) + ": column '" + labelColumn + "'";
            if (detectedAt == null && row.get(li).contains(sep)) {
                detectedAt = where + " holds the separator '" + sep + "'";
            }
            l.add(split(row.get(li), sep, where));
        }
        return checked(new MultiLabelTexts(t, l, detectedAt != null, detectedAt), file);
    }

    /** Labels of one cell: blank is the empty set; else split on {@code sep}, each part trimmed and non-empty. */
    static List<String> split(String cell, String sep, String where) throws IOException {
        if (cell.isBlank()) {
            return List.of();
        }
        List<String> parts = new ArrayList<>();
        int from = 0;
        for (int at = cell.indexOf(sep); at >= 0; at = cell.indexOf(sep, from)) {
            parts.add(cell.substring(from, at));
            from = at + sep.length();
        }
        parts.add(cell.substring(from));
        return cleaned(parts, where);
    }

    private static List<String> cleaned(List<String> raw, String where) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            String s = raw.get(i).strip();
            if (s.isEmpty()) {
                throw new IOException(where + ": label " + (i + 1) + " of " + raw.size() + " is empty");
            }
            out.add(s);
        }
        return List.copyOf(out);
    }

    private static MultiLabelTexts checked(MultiLabelTexts d, Path file) throws IOException {
        if (d.texts().isEmpty()) {
            throw new IOException(file + ": no examples");
        }
        return d;
    }
}
