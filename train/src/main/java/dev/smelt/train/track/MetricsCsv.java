package dev.smelt.train.track;

import dev.smelt.model.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.csv}: header {@code step,COLUMN,…} (columns fixed at open, e.g. loss, lr, grad_norm,
 * tokens_per_s, val_loss), one row per logged step, empty cells for values not logged that step,
 * numbers in Java's shortest round-trip form. Each row is appended and synced, so a crash loses at most
 * that row; reopening for a resume keeps rows up to the resumed step. Not thread-safe.
 */
public final class MetricsCsv {
    private final Path file;
    private final List<String> columns;

    private MetricsCsv(Path file, List<String> columns) {
        this.file = file;
        this.columns = List.copyOf(columns);
    }

    /** Creates (or replaces) {@code file} with the header. */
    public static MetricsCsv create(Path file, List<String> columns) throws IOException {
        MetricsCsv c = new MetricsCsv(file, check(columns));
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        AtomicFiles.writeString(file, c.header() + "\n");
        return c;
    }

    /**
     * Re-opens an existing file for a resumed run: its header must equal {@code step,columns…}; rows of
     * steps after {@code lastStep} (written after the checkpoint) are dropped.
     */
    public static MetricsCsv resume(Path file, List<String> columns, long lastStep) throws IOException {
        MetricsCsv c = new MetricsCsv(file, check(columns));
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(c.header())) {
            throw new IOException(file + ": line 1: header is '" + (lines.isEmpty() ? "" : lines.get(0)) + "', expected '" + c.header() + "'");
        }
        List<String> keep = new ArrayList<>(List.of(lines.get(0)));
        for (int i = 1; i < lines.size(); i++) {
            String l = lines.get(i);
            int comma = l.indexOf(',');
            try {
                if (Long.parseLong(comma < 0 ? l : l.substring(0, comma)) <= lastStep) {
                    keep.add(l);
                }
            } catch (NumberFormatException e) {
                throw new IOException(file + ": line " + (i + 1) + ": step '" + l + "' is not a number");
            }
        }
        AtomicFiles.writeString(file, String.join("\n", keep) + "\n");
        return c;
    }

    public List<String> columns() {
        return columns;
    }

    /** Appends the row of {@code step}; every key of {@code values} must be a column. */
    public void log(long step, Map<String, ? extends Number> values) throws IOException {
        for (String k : values.keySet()) {
            if (!columns.contains(k)) {
                throw new IllegalArgumentException("metric '" + k + "' is not a column of " + file + " " + columns);
            }
        }
        StringBuilder sb = new StringBuilder().append(step);
        for (String c : columns) {
            sb.append(',');
            Number v = values.get(c);
            if (v != null) {
                sb.append(v instanceof Float f ? Float.toString(f) : v instanceof Double d ? Double.toString(d) : v.toString());
            }
        }
        Files.writeString(file, sb.append('\n').toString(), StandardCharsets.UTF_8, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
    }

    private String header() {
        return "step," + String.join(",", columns);
    }

    private static List<String> check(List<String> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("metrics.csv needs at least one column besides step");
        }
        for (String c : columns) {
            if (c.isEmpty() || c.contains(",") || c.contains("\n") || c.contains("\"") || c.equals("step")) {
                throw new IllegalArgumentException("invalid metrics.csv column '" + c + "'");
            }
        }
        return columns;
    }
}
