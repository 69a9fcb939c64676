package dev.smelt.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.client.Canonical;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Lines read once for every data file of a task (examples, seed instructions, predictions): one
 * JSON value per non-blank line, a line that does not parse fails naming {@code file:line}. Stateless.
 */
public final class JsonLines {
    /** One parsed line and its 1-based number, for errors that name it. */
    public record Line(int number, JsonNode node) {
    }

    private JsonLines() {
    }

    /** The lines of {@code file} (UTF-8). */
    public static List<Line> read(Path file) throws IOException {
        return parse(file.toString(), DataFile.utf8(file)); // names the line and byte of invalid UTF-8
    }

    /** The non-blank lines of {@code text} ({@code \n} or {@code \r\n}); {@code source} names it in errors. */
    public static List<Line> parse(String source, String text) throws IOException {
        List<Line> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.isEmpty()) {
                continue;
            }
            try {
                out.add(new Line(i + 1, Canonical.JSON.readTree(l)));
            } catch (JsonProcessingException e) {
                throw new IOException(source + ":" + (i + 1) + ": not valid JSON: " + e.getOriginalMessage());
            }
        }
        return out;
    }
}
