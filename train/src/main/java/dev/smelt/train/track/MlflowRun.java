package dev.smelt.train.track;

import dev.smelt.model.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One run in MLflow's file store ({@code mlflow.store.tracking.file_store.FileStore}), so that
 * {@code mlflow ui --backend-store-uri ./mlruns} shows it:
 * <pre>
 * mlruns/0/meta.yaml                  experiment 0 "Default": artifact_location, creation_time, experiment_id '0',
 *                                     last_update_time, lifecycle_stage active, name (created when absent)
 * mlruns/0/RUN_ID/meta.yaml           artifact_uri, end_time, entry_point_name, experiment_id, lifecycle_stage,
 *                                     run_id, run_name, run_uuid, source_name, source_type 4 (LOCAL),
 *                                     source_version, start_time, status (1 RUNNING, 3 FINISHED, 4 FAILED,
 *                                     5 KILLED), tags [], user_id — keys sorted as yaml.safe_dump writes them
 * mlruns/0/RUN_ID/params/NAME         the value, no newline
 * mlruns/0/RUN_ID/metrics/NAME        one line per logged value: "TIMESTAMP_MS VALUE STEP"
 * mlruns/0/RUN_ID/tags/mlflow.runName the run name (and any other tag)
 * mlruns/0/RUN_ID/artifacts/          empty
 * </pre>
 * Times are epoch milliseconds from the injected clock; the run id is 32 hex digits (uuid4 hex) from
 * the injected random source. meta.yaml files are replaced atomically; metric lines are appended and
 * flushed one by one, so a crash loses at most the line being written. Not thread-safe.
 */
public final class MlflowRun implements AutoCloseable {
    /** MLflow's RunStatus codes as stored in meta.yaml. */
    public enum Status {
        RUNNING(1), FINISHED(3), FAILED(4), KILLED(5);

        final int code;

        Status(int code) {
            this.code = code;
        }
    }

    static final String EXPERIMENT_ID = "0";
    /** MLflow's rule for metric, param and tag names. */
    private static final Pattern NAME = Pattern.compile("[\\w\\-. /]+");

    private final Path root;
    private final Path runDir;
    private final String runId;
    private final String runName;
    private final String user;
    private final Clock clock;
    private final long startTime;
    private Status status = Status.RUNNING;

    private MlflowRun(Path root, String runId, String runName, String user, Clock clock, long startTime) {
        this.root = root.toAbsolutePath().normalize();
        this.runDir = this.root.resolve(EXPERIMENT_ID).resolve(runId);
        this.runId = runId;
        this.runName = runName;
        this.user = user;
        this.clock = clock;
        this.startTime = startTime;
    }

    /** Starts a new run in experiment 0 of {@code mlruns} (created if needed). */
    public static MlflowRun start(Path mlruns, String runName, String user, Clock clock, Random random) throws IOException {
        if (runName == null || runName.isBlank()) {
            throw new IllegalArgumentException("run name must not be blank");
        }
        byte[] b = new byte[16];
        random.nextBytes(b);
        b[6] = (byte) ((b[6] & 0x0f) | 0x40); // uuid version 4
        b[8] = (byte) ((b[8] & 0x3f) | 0x80); // IETF variant
        StringBuilder id = new StringBuilder();
        for (byte x : b) {
            id.append(String.format("%02x", x));
        }
        ensureExperiment(mlruns.toAbsolutePath().normalize(), clock);
        MlflowRun r = new MlflowRun(mlruns, id.toString(), runName, user == null ? "" : user, clock, clock.millis());
        Files.createDirectories(r.runDir.resolve("artifacts"));
        Files.createDirectories(r.runDir.resolve("params"));
        Files.createDirectories(r.runDir.resolve("metrics"));
        r.writeMeta(null);
        r.setTag("mlflow.runName", runName);
        if (!r.user.isEmpty()) {
            r.setTag("mlflow.user", r.user);
        }
        return r;
    }

    /**
     * Re-opens run {@code runId} after a crash or stop: status back to RUNNING and metric lines of
     * steps after {@code lastStep} dropped, so a resumed run continues its curves without duplicates.
     */
    public static MlflowRun resume(Path mlruns, String runId, long lastStep, Clock clock) throws IOException {
        Path dir = mlruns.toAbsolutePath().normalize().resolve(EXPERIMENT_ID).resolve(runId);
        Path meta = dir.resolve("meta.yaml");
        if (!Files.isRegularFile(meta)) {
            throw new NoSuchFileException(meta.toString(), null, "MLflow run to resume not found");
        }
        Map<String, String> m = readYaml(meta);
        long start;
        try {
            start = Long.parseLong(m.getOrDefault("start_time", ""));
        } catch (NumberFormatException e) {
            throw new IOException(meta + ": field 'start_time' is not a number: " + m.get("start_time"));
        }
        String name = unquote(m.getOrDefault("run_name", runId));
        MlflowRun r = new MlflowRun(mlruns, runId, name, unquote(m.getOrDefault("user_id", "")), clock, start);
        r.dropMetricsAfter(lastStep);
        r.writeMeta(null);
        return r;
    }

    public String runId() {
        return runId;
    }

    public Path runDir() {
        return runDir;
    }

    public void logParam(String name, Object value) throws IOException {
        Files.createDirectories(runDir.resolve("params"));
        String text = value instanceof Double || value instanceof Float ? pythonFloat(((Number) value).doubleValue()) : String.valueOf(value);
        AtomicFiles.writeString(runDir.resolve("params").resolve(check(name, "param")), text);
    }

    public void logParams(Map<String, ?> params) throws IOException {
        for (Map.Entry<String, ?> e : params.entrySet()) {
            logParam(e.getKey(), e.getValue());
        }
    }

    public void setTag(String name, String value) throws IOException {
        Files.createDirectories(runDir.resolve("tags"));
        AtomicFiles.writeString(runDir.resolve("tags").resolve(check(name, "tag")), value);
    }

    /** Appends "timestamp value step" to metrics/NAME, timestamp from the clock. */
    public void logMetric(String name, double value, long step) throws IOException {
        Path f = runDir.resolve("metrics").resolve(check(name, "metric"));
        Files.createDirectories(f.getParent());
        Files.writeString(f, clock.millis() + " " + pythonFloat(value) + " " + step + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
    }

    /** Ends the run with {@code s} and the clock's time. */
    public void finish(Status s) throws IOException {
        if (s == Status.RUNNING) {
            throw new IllegalArgumentException("finish needs a final status, got RUNNING");
        }
        status = s;
        writeMeta(clock.millis());
    }

    /** Finishes as FINISHED unless {@link #finish} already ran. */
    @Override
    public void close() throws IOException {
        if (status == Status.RUNNING) {
            finish(Status.FINISHED);
        }
    }

    private static void ensureExperiment(Path root, Clock clock) throws IOException {
        Path exp = root.resolve(EXPERIMENT_ID);
        Path meta = exp.resolve("meta.yaml");
        if (Files.isRegularFile(meta)) {
            return;
        }
        Files.createDirectories(exp);
        long now = clock.millis();
        AtomicFiles.writeString(meta, "artifact_location: " + uri(exp) + "\n"
                + "creation_time: " + now + "\n"
                + "experiment_id: '" + EXPERIMENT_ID + "'\n"
                + "last_update_time: " + now + "\n"
                + "lifecycle_stage: active\n"
                + "name: Default\n");
    }

    private void writeMeta(Long endTime) throws IOException {
        AtomicFiles.writeString(runDir.resolve("meta.yaml"), "artifact_uri: " + uri(runDir.resolve("artifacts")) + "\n"
                + "end_time: " + (endTime == null ? "null" : endTime) + "\n"
                + "entry_point_name: ''\n"
                + "experiment_id: '" + EXPERIMENT_ID + "'\n"
                + "lifecycle_stage: active\n"
                + "run_id: " + quote(runId) + "\n"
                + "run_name: " + quote(runName) + "\n"
                + "run_uuid: " + quote(runId) + "\n"
                + "source_name: ''\n"
                + "source_type: 4\n"
                + "source_version: ''\n"
                + "start_time: " + startTime + "\n"
                + "status: " + status.code + "\n"
                + "tags: []\n"
                + "user_id: " + quote(user) + "\n");
    }

    private void dropMetricsAfter(long lastStep) throws IOException {
        Path dir = runDir.resolve("metrics");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                List<String> keep = new ArrayList<>();
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    String[] p = line.trim().split(" ");
                    if (p.length < 3) {
                        throw new IOException(f + ": malformed metric line '" + line + "' (expected 'timestamp value step')");
                    }
                    if (Long.parseLong(p[2]) <= lastStep) {
                        keep.add(line);
                    }
                }
                AtomicFiles.writeString(f, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
            }
        }
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip (as Java's), plain notation
     * for decimal exponents -4..15, else {@code d.ddde±XX} — what MLflow's Python client writes.
     */
    static String pythonFloat(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        java.math.BigDecimal d = new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros();
        int exp = d.precision() - d.scale() - 1;
        if (exp >= -4 && exp < 16) {
            String plain = d.toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String digits = d.unscaledValue().abs().toString();
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (v < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    private static String check(String name, String what) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..") || name.startsWith("/")) {
            throw new IllegalArgumentException("invalid MLflow " + what + " name '" + name
                    + "': use letters, digits, '_', '-', '.', ' ' and '/'");
        }
        return name;
    }

    private static String uri(Path p) {
        return p.toAbsolutePath().toUri().toString().replaceAll("/$", "");
    }

    /** A YAML single-quoted scalar (always valid, whatever the text). */
    static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    static String unquote(String s) {
        s = s.trim();
        if (s.length() >= 2 && s.startsWith("'") && s.endsWith("'")) {
            return s.substring(1, s.length() - 1).replace("''", "'");
        }
        return s;
    }

    /** Flat "key: value" YAML as this class writes it. */
    private static Map<String, String> readYaml(Path p) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            int c = line.indexOf(": ");
            if (c > 0) {
                m.put(line.substring(0, c), line.substring(c + 2));
            }
        }
        return m;
    }
}
