package dev.smelt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads JSONL lines of the form {@code {"text": "…"}} in batches; blank lines are skipped. A bad line fails
 * with its 1-based line number, after the good lines before it were returned (so a caller streaming results
 * prints every good line's result before the error). Not thread-safe (one reader).
 */
final class JsonlTexts {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedReader in;
    private final String source;
    private int line;
    /** A bad line met after good lines of the same batch: thrown by the next call. */
    private IOException pending;

    JsonlTexts(BufferedReader in, String source) {
        this.in = in;
        this.source = source;
    }

    /** Up to {@code max} texts, or an empty list at end of input. */
    List<String> next(int max) throws IOException {
        if (pending != null) {
            IOException e = pending;
            pending = null;
            throw e;
        }
        List<String> out = new ArrayList<>();
        String s;
        while (out.size() < max && (s = in.readLine()) != null) {
            line++;
            if (s.isBlank()) {
                continue;
            }
            try {
                out.add(parse(s));
            } catch (IOException e) {
                if (out.isEmpty()) {
                    throw e;
                }
                pending = e;
                break;
            }
        }
        return out;
    }

    private String parse(String s) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(source + " line " + line + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IOException(source + " line " + line + ": expected a JSON object like {\"text\": \"...\"}");
        }
        JsonNode t = n.get("text");
        if (t == null || !t.isTextual()) {
            throw new IOException(source + " line " + line + ": field 'text' is " + (t == null ? "missing" : "not a string"));
        }
        if (t.asText().isEmpty()) {
            // As /v1/classify and /v1/embeddings ("'input' must not be an empty string"): an empty text has no answer.
            throw new IOException(source + " line " + line + ": field 'text' is an empty string");
        }
        return t.asText();
    }
}
