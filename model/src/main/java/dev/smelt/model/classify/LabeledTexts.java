package dev.smelt.model.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A labeled text dataset read from CSV (RFC 4180: header row, quoted fields with doubled quotes and
 * embedded newlines/commas) or JSONL (one object per line). Errors name the file, line and column. Immutable.
 */
public record LabeledTexts(List<String> texts, List<String> labels) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public LabeledTexts {
        if (texts.size() != labels.size()) {
            throw new IllegalArgumentException(texts.size() + " texts but " + labels.size() + " labels");
        }
        texts = List.copyOf(texts);
        labels = List.copyOf(labels);
    }

    /** Reads {@code .csv} or {@code .jsonl}/{@code .json} by extension. */
    public static LabeledTexts read(Path file, String textColumn, String labelColumn) throws IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".csv")) {
            return csv(file, textColumn, labelColumn);
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            return jsonl(file, textColumn, labelColumn);
        }
        throw new IOException(file + ": unknown data format; expected a .csv or .jsonl file");
    }

    static LabeledTexts jsonl(Path file, String textField, String labelField) throws IOException {
        List<String> t = new ArrayList<>();
        List<String> l = new ArrayList<>();
        int line = 0;
        for (String s : dev.smelt.model.Utf8Text.read(file).split("\r?\n", -1)) {
            line++;
            if (s.isBlank()) {
                continue;
            }
            JsonNode n = jsonLine(s, file, line);
            t.add(field(n, textField, file, line));
            l.add(field(n, labelField, file, line));
        }
        return checked(new LabeledTexts(t, l), file);
    }

    /**
     * One JSONL line parsed. A file that is one JSON array (pretty-printed, as NLU++'s fold files, or on one line)
     * gets the way to turn it into JSONL rather than the parser's end-of-input message.
     */
    static JsonNode jsonLine(String s, Path file, int line) throws IOException {
        String arrayHint = file + " line " + line + ": the file is a JSON array, not JSONL (one JSON object per line); convert it with "
                + "jq -c '.[]' " + file.getFileName() + " > data.jsonl";
        JsonNode n;
        try {
            n = JSON.readTree(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            if (line == 1 && s.strip().startsWith("[")) {
                throw new IOException(arrayHint);
            }
            throw new IOException(file + " line " + line + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (n != null && n.isArray() && line == 1) {
            throw new IOException(arrayHint);
        }
        return n;
    }

    private static String field(JsonNode n, String f, Path file, int line) throws IOException {
        JsonNode v = n == null ? null : n.get(f);
        if (v == null || v.isNull() || v.isContainerNode()) {
            throw new IOException(file + " line " + line + ": field '" + f + "' is " + (v == null || v.isNull() ? "missing" : "not a string"));
        }
        return v.asText();
    }

    /** A CSV file's rows (header first) and the indexes of its text and label columns. */
    record CsvColumns(List<List<String>> rows, int text, int label) {}

    /** Reads a CSV file and finds its two columns, naming the file and the columns it has when one is missing. */
    static CsvColumns csvColumns(Path file, String textColumn, String labelColumn) throws IOException {
        List<List<String>> rows = parseCsv(dev.smelt.model.Utf8Text.read(file), file);
        if (rows.isEmpty()) {
            throw new IOException(file + ": empty file (expected a header row)");
        }
        List<String> header = rows.getFirst();
        int ti = header.indexOf(textColumn);
        int li = header.indexOf(labelColumn);
        if (ti < 0 || li < 0) {
            throw new IOException(file + " line 1: no column '" + (ti < 0 ? textColumn : labelColumn) + "'; columns: " + header);
        }
        return new CsvColumns(rows, ti, li);
    }

    static LabeledTexts csv(Path file, String textColumn, String labelColumn) throws IOException {
        CsvColumns cols = csvColumns(file, textColumn, labelColumn);
        List<List<String>> rows = cols.rows();
        int ti = cols.text();
        int li = cols.label();
        List<String> t = new ArrayList<>();
        List<String> l = new ArrayList<>();
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() == 1 && row.getFirst().isEmpty()) {
                continue;
            }
            if (row.size() != rows.getFirst().size()) {
                throw new IOException(file + " record " + (r + 1) + ": " + row.size() + " fields, header has " + rows.getFirst().size());
            }
            t.add(row.get(ti));
            l.add(row.get(li));
        }
        return checked(new LabeledTexts(t, l), file);
    }

    private static LabeledTexts checked(LabeledTexts d, Path file) throws IOException {
        if (d.texts().isEmpty()) {
            throw new IOException(file + ": no examples");
        }
        return d;
    }

    /** RFC 4180 records; a quote opening a field must close it, else an error names the line. */
    static List<List<String>> parseCsv(String s, Path file) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int i = 0;
        int line = 1;
        boolean quoted = false;
        int quoteLine = 0;
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (quoted) {
                if (c == '"') {
                    if (i < s.length() && s.charAt(i) == '"') {
                        f.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    f.append(c);
                }
            } else if (c == '"' && f.isEmpty()) {
                quoted = true;
                quoteLine = line;
            } else if (c == ',') {
                row.add(f.toString());
                f.setLength(0);
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i < s.length() && s.charAt(i) == '\n') {
                    i++;
                }
                line++;
                row.add(f.toString());
                f.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else {
                f.append(c);
            }
        }
        if (quoted) {
            throw new IOException(file + " line " + quoteLine + ": quoted field is never closed");
        }
        if (!f.isEmpty() || !row.isEmpty()) {
            row.add(f.toString());
            rows.add(row);
        }
        return rows;
    }
}
