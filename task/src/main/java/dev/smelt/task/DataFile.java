package dev.smelt.task;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads examples from JSON Lines ({@code .jsonl}: one object per line) or CSV ({@code .csv}: RFC 4180,
 * header row, quoted fields with {@code ""} escapes and newlines inside quotes). Errors name the file,
 * line and field. Stateless and thread-safe.
 */
public final class DataFile {
    private DataFile() {
    }

    /**
     * One example.
     *
     * @param line  1-based line where the record starts
     * @param label the label field's value, or null when the file has none
     */
    public record Row(int line, String input, String label) {
    }

    /**
     * @param labelField   column/field with the expected output, or null to ignore labels
     * @param requireLabel when true a row without the label field is an error
     */
    /**
     * Strict UTF-8 naming {@code file:line} and the byte (Files.readString says only "Input length = 1").
     * distill does not depend on smelt-model, whose {@code Utf8Text} does the same for model files.
     */
    static String utf8(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(b);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(b.length);
        java.nio.charset.CoderResult r = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += b[i] == '\n' ? 1 : 0;
            }
            throw new IOException(file + ":" + line + ": not valid UTF-8: byte 0x" + String.format("%02X", b[at] & 0xFF)
                    + " at byte offset " + at + " (save the file as UTF-8)");
        }
        return out.flip().toString();
    }

    public static List<Row> read(Path file, String inputField, String labelField, boolean requireLabel) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        String text = utf8(file);
        if (name.endsWith(".csv")) {
            return csv(file, text, inputField, labelField, requireLabel);
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return jsonl(file, text, inputField, labelField, requireLabel);
        }
        throw new IOException(file + ": unknown data format (expected .jsonl or .csv)");
    }

    private static List<Row> jsonl(Path file, String text, String inputField, String labelField, boolean requireLabel) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (JsonLines.Line line : JsonLines.parse(file.toString(), text)) {
            JsonNode n = line.node();
            int ln = line.number();
            if (!n.isObject()) {
                throw new IOException(file + ":" + ln + ": expected a JSON object, got " + n.getNodeType());
            }
            rows.add(new Row(ln, field(file, ln, n, inputField, true), labelField == null ? null : field(file, ln, n, labelField, requireLabel)));
        }
        return rows;
    }

    private static String field(Path file, int line, JsonNode n, String name, boolean required) throws IOException {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IOException(file + ":" + line + ": missing field '" + name + "'");
            }
            return null;
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    private static List<Row> csv(Path file, String text, String inputField, String labelField, boolean requireLabel) throws IOException {
        List<List<String>> records = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        parseCsv(file, text, records, starts);
        if (records.isEmpty()) {
            throw new IOException(file + ":1: empty CSV (a header row is required)");
        }
        List<String> header = records.getFirst();
        int in = header.indexOf(inputField);
        if (in < 0) {
            throw new IOException(file + ":1: no column '" + inputField + "' in header " + header);
        }
        int lab = labelField == null ? -1 : header.indexOf(labelField);
        if (labelField != null && lab < 0 && requireLabel) {
            throw new IOException(file + ":1: no column '" + labelField + "' in header " + header);
        }
        List<Row> rows = new ArrayList<>();
        for (int r = 1; r < records.size(); r++) {
            List<String> rec = records.get(r);
            if (rec.size() == 1 && rec.getFirst().isEmpty()) {
                continue;
            }
            if (rec.size() != header.size()) {
                throw new IOException(file + ":" + starts.get(r) + ": " + rec.size() + " fields, the header has " + header.size());
            }
            rows.add(new Row(starts.get(r), rec.get(in), lab >= 0 ? rec.get(lab) : null));
        }
        return rows;
    }

    private static void parseCsv(Path file, String s, List<List<String>> out, List<Integer> starts) throws IOException {
        int line = 1;
        int i = 0;
        int n = s.length();
        while (i < n) {
            List<String> rec = new ArrayList<>();
            starts.add(line);
            int recLine = line;
            while (true) {
                StringBuilder f = new StringBuilder();
                if (i < n && s.charAt(i) == '"') {
                    i++;
                    while (true) {
                        if (i >= n) {
                            throw new IOException(file + ":" + recLine + ": unterminated quoted field");
                        }
                        char c = s.charAt(i++);
                        if (c == '"') {
                            if (i < n && s.charAt(i) == '"') {
                                f.append('"');
                                i++;
                            } else {
                                break;
                            }
                        } else {
                            if (c == '\n') {
                                line++;
                            }
                            f.append(c);
                        }
                    }
                } else {
                    while (i < n && s.charAt(i) != ',' && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
                        f.append(s.charAt(i++));
                    }
                }
                rec.add(f.toString());
                if (i < n && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                if (i < n && s.charAt(i) == '\r') {
                    i++;
                }
                if (i < n && s.charAt(i) == '\n') {
                    i++;
                    line++;
                } else if (i < n) {
                    throw new IOException(file + ":" + line + ": unexpected character after a quoted field");
                }
                break;
            }
            out.add(rec);
        }
    }
}
