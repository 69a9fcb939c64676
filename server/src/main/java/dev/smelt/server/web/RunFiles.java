package dev.smelt.server.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Readers of the files a run holds, into the JSON the Runs page draws: {@code metrics.csv} (header {@code step,NAME,…},
 * empty cells for values not logged), MLflow's {@code metrics/NAME} ({@code TIMESTAMP VALUE STEP} lines), {@code params/},
 * {@code meta.yaml} and {@code tags/}, {@code classifier.json} and {@code result.json}. A file that cannot be read is a
 * {@link BadFile} naming the file and line; the caller shows it for that run. Non-finite numbers become JSON null.
 * Stateless, thread-safe.
 */
final class RunFiles {
    /** Largest file parsed (a metrics.csv of a million steps is ~60 MB); bigger ones are refused with a message. */
    static final long MAX_BYTES = 64L << 20;
    /** Points per curve sent to the page; longer curves keep every k-th point and the last. */
    static final int MAX_POINTS = 2000;
    /** Characters of a param value shown. */
    private static final int MAX_PARAM_CHARS = 2000;
    /** Tolerates what Python's json and Jackson write for NaN and infinities (classifier.json may hold NaN). */
    static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** MLflow's RunStatus codes. */
    private static final Map<String, String> MLFLOW_STATUS = Map.of("1", "running", "2", "scheduled", "3", "finished", "4", "failed", "5", "killed");

    private RunFiles() {
    }

    /** A file of a run that could not be read; the message names the file (relative to the run) and where. */
    static final class BadFile extends Exception {
        BadFile(String message) {
            super(message);
        }
    }

    /** Curves over one x axis: {@code x} values and each named series (null where not logged). */
    record Curves(String xName, List<Double> x, Map<String, List<Double>> series) {
        boolean isEmpty() {
            return x.isEmpty();
        }
    }

    /** The text of {@code file} (strict UTF-8, at most {@link #MAX_BYTES}). */
    static String text(Path file, String name) throws BadFile {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new BadFile(name + ": " + size + " bytes, more than the " + MAX_BYTES + " this page reads");
            }
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new BadFile(name + ": not UTF-8 text");
        } catch (IOException e) {
            throw new BadFile(name + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** A JSON object file. */
    static ObjectNode jsonObject(Path file, String name) throws BadFile {
        String t = text(file, name);
        try {
            JsonNode n = JSON.readTree(t);
            if (!(n instanceof ObjectNode o)) {
                throw new BadFile(name + ": not a JSON object");
            }
            return o;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new BadFile(name + ": malformed JSON" + (loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr())
                    + ": " + parserMessage(e));
        }
    }

    /** Jackson's message without its source-location appendix (the line and column are already given). */
    private static String parserMessage(JsonProcessingException e) {
        String m = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        int cut = m.indexOf(" (start marker at");
        m = cut >= 0 ? m.substring(0, cut) : m;
        return m.lines().findFirst().orElse(m);
    }

    /** {@code metrics.csv}: the step column and every other column as a curve. */
    static Curves metricsCsv(Path file, String name) throws BadFile {
        List<String> lines = text(file, name).lines().toList();
        if (lines.isEmpty() || !lines.getFirst().split(",", -1)[0].strip().equals("step")) {
            throw new BadFile(name + ": line 1: expected a header starting with 'step', got '" + (lines.isEmpty() ? "" : shorten(lines.getFirst())) + "'");
        }
        String[] header = lines.getFirst().split(",", -1);
        List<Double> x = new ArrayList<>();
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (int c = 1; c < header.length; c++) {
            series.put(header[c].strip(), new ArrayList<>());
        }
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length != header.length) {
                throw new BadFile(name + ": line " + (i + 1) + ": " + cells.length + " cells, the header has " + header.length);
            }
            x.add(number(cells[0], name, i + 1, "step"));
            for (int c = 1; c < header.length; c++) {
                series.get(header[c].strip()).add(cells[c].isBlank() ? null : number(cells[c], name, i + 1, header[c].strip()));
            }
        }
        return thin(new Curves("step", x, series));
    }

    private static Double number(String cell, String file, int line, String column) throws BadFile {
        String s = cell.strip();
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "nan", "inf", "-inf", "infinity", "-infinity" -> {
                return null; // logged, but not drawable
            }
            default -> {
            }
        }
        try {
            double v = Double.parseDouble(s);
            return Double.isFinite(v) ? v : null;
        } catch (NumberFormatException e) {
            throw new BadFile(file + ": line " + line + ": " + column + " '" + shorten(s) + "' is not a number");
        }
    }

    /** An MLflow run folder's metrics ({@code metrics/NAME}: {@code TIMESTAMP VALUE STEP} per line), by step. */
    static Curves mlflowMetrics(Path runDir, String prefix) throws BadFile {
        Path dir = runDir.resolve("metrics");
        TreeMap<Double, Map<String, Double>> bySteps = new TreeMap<>();
        List<String> names = new ArrayList<>();
        for (Path f : metricFiles(dir)) {
            String metric = dir.relativize(f).toString().replace('\\', '/'); // "train/loss" is stored as metrics/train/loss
            String fname = prefix + "metrics/" + metric;
            names.add(metric);
            List<String> lines = text(f, fname).lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                String[] parts = lines.get(i).strip().split("\\s+");
                if (parts.length == 1 && parts[0].isEmpty()) {
                    continue;
                }
                if (parts.length < 2 || parts.length > 3) {
                    throw new BadFile(fname + ": line " + (i + 1) + ": expected 'TIMESTAMP VALUE STEP', got '" + shorten(lines.get(i)) + "'");
                }
                Double step = parts.length == 3 ? number(parts[2], fname, i + 1, "step") : Double.valueOf(i);
                Double v = number(parts[1], fname, i + 1, "value");
                if (step != null) {
                    bySteps.computeIfAbsent(step, k -> new LinkedHashMap<>()).put(metric, v);
                }
            }
        }
        List<Double> x = new ArrayList<>(bySteps.keySet());
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (String n : names) {
            List<Double> vs = new ArrayList<>(x.size());
            for (Map<String, Double> row : bySteps.values()) {
                vs.add(row.get(n));
            }
            series.put(n, vs);
        }
        return thin(new Curves("step", x, series));
    }

    /** The files of an MLflow folder ({@code params/}, {@code tags/}) as name → text. */
    static ObjectNode keyValues(Path dir, String prefix) throws BadFile {
        ObjectNode o = F.objectNode();
        for (Path f : regularFiles(dir)) {
            String v = text(f, prefix + f.getFileName()).strip();
            o.put(f.getFileName().toString(), v.length() > MAX_PARAM_CHARS ? v.substring(0, MAX_PARAM_CHARS) + "…" : v);
        }
        return o;
    }

    /** MLflow's {@code meta.yaml} (flat {@code key: value} lines, as its file store writes them), status as a word. */
    static ObjectNode mlflowMeta(Path file, String name) throws BadFile {
        ObjectNode o = F.objectNode();
        List<String> lines = text(file, name).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank() || l.startsWith(" ") || l.startsWith("-") || l.startsWith("#")) {
                continue; // list items (tags: []) and comments
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw new BadFile(name + ": line " + (i + 1) + ": expected 'key: value', got '" + shorten(l) + "'");
            }
            String v = l.substring(colon + 1).strip();
            if (v.length() >= 2 && (v.startsWith("'") && v.endsWith("'") || v.startsWith("\"") && v.endsWith("\""))) {
                v = v.substring(1, v.length() - 1);
            }
            o.put(l.substring(0, colon).strip(), v);
        }
        if (o.has("status")) {
            o.put("status", MLFLOW_STATUS.getOrDefault(o.path("status").asText(), o.path("status").asText()));
        }
        return o;
    }

    /** Every {@code NAME_per_epoch} array of a classifier's metrics, as curves over the epoch. */
    static Curves perEpoch(ObjectNode metrics) {
        Map<String, List<Double>> series = new LinkedHashMap<>();
        int n = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = metrics.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().endsWith("_per_epoch") && e.getValue().isArray()) {
                List<Double> vs = new ArrayList<>();
                e.getValue().forEach(v -> vs.add(v.isNumber() && Double.isFinite(v.asDouble()) ? v.asDouble() : null));
                series.put(e.getKey().substring(0, e.getKey().length() - "_per_epoch".length()), vs);
                n = Math.max(n, vs.size());
            }
        }
        List<Double> x = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            x.add((double) i);
        }
        for (List<Double> vs : series.values()) {
            while (vs.size() < n) {
                vs.add(null);
            }
        }
        return new Curves("epoch", x, series);
    }

    /** At most {@link #MAX_POINTS} points: every k-th row and the last one. */
    static Curves thin(Curves c) {
        int n = c.x().size();
        if (n <= MAX_POINTS) {
            return c;
        }
        int k = (n + MAX_POINTS - 1) / MAX_POINTS;
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < n; i += k) {
            keep.add(i);
        }
        if (keep.getLast() != n - 1) {
            keep.add(n - 1);
        }
        Map<String, List<Double>> series = new LinkedHashMap<>();
        c.series().forEach((name, vs) -> series.put(name, keep.stream().map(vs::get).toList()));
        return new Curves(c.xName(), keep.stream().map(c.x()::get).toList(), series);
    }

    /** The page's charts of {@code c}: losses together, learning rates together, every other series on its own. */
    static ArrayNode charts(Curves c) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String name : c.series().keySet()) {
            String n = name.toLowerCase(java.util.Locale.ROOT);
            String group = n.contains("loss") ? "Loss" : n.equals("lr") || n.contains("learning_rate") ? "Learning rate"
                    : n.contains("accuracy") ? "Accuracy" : name;
            groups.computeIfAbsent(group, k -> new ArrayList<>()).add(name);
        }
        ArrayNode out = F.arrayNode();
        groups.forEach((title, names) -> {
            ObjectNode chart = out.addObject().put("title", title).put("x_name", c.xName());
            chart.set("x", numbers(c.x()));
            ArrayNode ss = chart.putArray("series");
            for (String n : names) {
                ss.addObject().put("name", n).set("values", numbers(c.series().get(n)));
            }
        });
        return out;
    }

    static ArrayNode numbers(List<Double> vs) {
        ArrayNode a = F.arrayNode();
        vs.forEach(v -> {
            if (v == null || !Double.isFinite(v)) {
                a.addNull();
            } else {
                a.add(v);
            }
        });
        return a;
    }

    /** A copy of {@code n} with non-finite numbers as null (the page's JSON.parse refuses NaN). */
    static JsonNode finite(JsonNode n) {
        if (n.isNumber() && !Double.isFinite(n.asDouble())) {
            return F.nullNode();
        }
        if (n instanceof ObjectNode o) {
            ObjectNode c = F.objectNode();
            o.fields().forEachRemaining(e -> c.set(e.getKey(), finite(e.getValue())));
            return c;
        }
        if (n instanceof ArrayNode a) {
            ArrayNode c = F.arrayNode();
            a.forEach(e -> c.add(finite(e)));
            return c;
        }
        return n;
    }

    /** Levels of folders under metrics/: MLflow stores a metric named "a/b" as metrics/a/b. */
    private static final int METRIC_DEPTH = 4;

    /** The metric files under {@code dir}, links skipped, in name order. */
    private static List<Path> metricFiles(Path dir) throws BadFile {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (var s = Files.walk(dir, METRIC_DEPTH)) { // walk does not follow links
            return s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().limit(RunsDirectory.MAX_FILES).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BadFile(dir.getFileName() + "/: cannot be listed");
        }
    }

    private static List<Path> regularFiles(Path dir) throws BadFile {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (var s = Files.list(dir)) { // links are skipped: they could lead out of the --runs folder
            return s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().limit(RunsDirectory.MAX_FILES).toList();
        } catch (IOException e) {
            throw new BadFile(dir.getFileName() + "/: cannot be listed");
        }
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }
}
