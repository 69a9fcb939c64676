package dev.smelt.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.client.CostMeter;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import dev.smelt.distill.DistillOutput;
import dev.smelt.distill.Distiller;
import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code smelt spark distill}: the teacher's requests spread over the executors, the rest as {@code smelt distill}.
 * The driver screens the inputs ({@link Distiller#screen}: empty, too long, near-duplicates of any earlier input, so
 * the dropped-row accounting equals the single-machine run); the inputs to ask are cut into fixed chunks (--chunk,
 * 256 rows by default, not tied to the cluster's size), each a task with its own teacher client, whose fsync'd response cache
 * {@code OUT/cache/teacher-cache-CHUNK.jsonl} makes a rerun with the same --chunk skip every answered input. The
 * teacher's {@code --rpm/--tpm} are global: each of the {@code defaultParallelism} task slots
 * gets an equal share. The driver merges kept rows, drops and costs and writes {@code smelt distill}'s outputs
 * ({@link DistillOutput}: train.jsonl, report.json, DATA_CARD.md).
 */
public final class SparkDistill {
    private SparkDistill() {
    }

    /** Distills {@code input} into {@code out}; returns the report that {@code smelt distill} prints. */
    public static ObjectNode run(SparkSession spark, String input, String inputFormat, Path taskPath, String teacherUrl, String defaultModel,
                                 SparkEval.Remote remote, Path out, Integer limit, int chunk, java.util.function.Consumer<String> log)
            throws IOException {
        TaskSpec task = TaskSpec.load(taskPath);
        if (!Tables.isLocal(input) || !Files.isRegularFile(Path.of(input))) {
            throw new IllegalArgumentException("--input " + input + ": distill reads one local file (its SHA-256 goes into the data card, "
                    + "as smelt distill's); give a .jsonl, .csv or .parquet file");
        }
        TeacherConfig cfg = remote.config(teacherUrl, defaultModel, 1, null); // its own checks, and the report's model and prices
        Dataset<Row> df = Tables.read(spark, input, inputFormat);
        Tables.stringColumn(df, task.inputField(), input);
        int offset = Tables.formatOf(input, inputFormat, "--input") == Tables.Format.CSV ? 2 : 1;
        List<Row> collected = df.select(task.inputField()).collectAsList();
        List<DataFile.Row> rows = new ArrayList<>(collected.size());
        for (int i = 0; i < collected.size() && (limit == null || i < limit); i++) {
            rows.add(new DataFile.Row(i + offset, collected.get(i).getString(0), null));
        }
        Distiller.Screened screened = Distiller.screen(task, rows);
        List<Object[]> ask = new ArrayList<>(screened.ask().size());
        for (DataFile.Row r : screened.ask()) {
            ask.add(new Object[] {r.line(), r.input()});
        }
        Files.createDirectories(out.resolve("cache"));
        int slots = spark.sparkContext().defaultParallelism();
        int chunks = Math.max(1, (ask.size() + chunk - 1) / chunk);
        log.accept(String.format(java.util.Locale.ROOT, "smelt spark distill: %d inputs, %d to ask in %d chunks over %d task slots (%s each)",
                rows.size(), ask.size(), chunks, slots, share(remote, slots)));
        JavaRDD<Object[]> parts = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(ask, chunks);
        List<String> answers = parts.mapPartitionsWithIndex(new AskChunk(taskPath.toAbsolutePath().toString(), teacherUrl, defaultModel, remote,
                slots, out.toAbsolutePath().toString()), false).collect();
        List<Distiller.Kept> kept = new ArrayList<>();
        List<Distiller.Drop> dropped = new ArrayList<>(screened.dropped());
        CostMeter.Snapshot cost = null;
        for (String a : answers) {
            JsonNode n = Canonical.JSON.readTree(a);
            for (JsonNode k : n.get("kept")) {
                kept.add(Canonical.JSON.treeToValue(k, Distiller.Kept.class));
            }
            for (JsonNode d : n.get("dropped")) {
                dropped.add(Canonical.JSON.treeToValue(d, Distiller.Drop.class));
            }
            cost = add(cost, Canonical.JSON.treeToValue(n.get("cost"), CostMeter.Snapshot.class));
        }
        if (cost == null) {
            cost = new CostMeter(cfg.prices()).snapshot();
        }
        kept.sort(Comparator.comparingInt(Distiller.Kept::line));
        dropped.sort(Comparator.comparingInt(Distiller.Drop::line));
        Distiller.Result r = new Distiller.Result(rows.size(), List.copyOf(kept), List.copyOf(dropped), cost);
        Path inputPath = Path.of(input);
        ObjectNode report = DistillOutput.write(out, task, r, new DistillOutput.Source(inputPath, taskPath, teacherUrl, cfg.model(), cfg.prices(),
                Instant.now()));
        log.accept(String.format(java.util.Locale.ROOT, "smelt: kept %d of %d inputs (%d dropped); teacher cost this run %s USD; wrote %s",
                kept.size(), rows.size(), dropped.size(), cost.costUsd().stripTrailingZeros().toPlainString(), out));
        return report;
    }

    private static String share(SparkEval.Remote remote, int slots) {
        return (remote.rpm() > 0 ? remote.rpm() / slots + " rpm" : "no rpm limit") + ", " + (remote.tpm() > 0 ? remote.tpm() / slots + " tpm" : "no tpm limit");
    }

    /** Field-wise sum of two meters' snapshots (null is zero). */
    static CostMeter.Snapshot add(CostMeter.Snapshot a, CostMeter.Snapshot b) {
        if (a == null) {
            return b;
        }
        return new CostMeter.Snapshot(a.paidCalls() + b.paidCalls(), a.cachedCalls() + b.cachedCalls(), a.paidInputTokens() + b.paidInputTokens(),
                a.paidOutputTokens() + b.paidOutputTokens(), a.cachedInputTokens() + b.cachedInputTokens(),
                a.cachedOutputTokens() + b.cachedOutputTokens(), a.httpAttempts() + b.httpAttempts(), a.retries() + b.retries(),
                a.failures() + b.failures(), a.malformedResponses() + b.malformedResponses(), a.costUsd().add(b.costUsd()),
                a.cachedCostUsd().add(b.cachedCostUsd()));
    }

    /** One chunk's requests with a teacher client of its own (its share of the limits, its own cache file). */
    static final class AskChunk implements org.apache.spark.api.java.function.Function2<Integer, Iterator<Object[]>, Iterator<String>> {
        private final String taskPath;
        private final String url;
        private final String defaultModel;
        private final SparkEval.Remote remote;
        private final int slots;
        private final String out;

        AskChunk(String taskPath, String url, String defaultModel, SparkEval.Remote remote, int slots, String out) {
            this.taskPath = taskPath;
            this.url = url;
            this.defaultModel = defaultModel;
            this.remote = remote;
            this.slots = slots;
            this.out = out;
        }

        @Override
        public Iterator<String> call(Integer chunk, Iterator<Object[]> it) throws Exception {
            List<DataFile.Row> rows = new ArrayList<>();
            while (it.hasNext()) {
                Object[] r = it.next();
                rows.add(new DataFile.Row((Integer) r[0], (String) r[1], null));
            }
            TaskSpec task = TaskSpec.load(Path.of(taskPath));
            TeacherConfig cfg = remote.config(url, defaultModel, slots, Path.of(out, "cache", "teacher-cache-" + chunk + ".jsonl"));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            List<Distiller.Drop> dropped = new ArrayList<>();
            List<Distiller.Kept> kept;
            CostMeter.Snapshot cost;
            try (TeacherClient client = new TeacherClient(cfg, http, TimeSource.SYSTEM, System::getenv)) {
                kept = Distiller.ask(task, rows, client, m -> { }, dropped);
                cost = client.meter().snapshot();
            }
            ObjectNode o = Canonical.JSON.createObjectNode();
            o.set("kept", Canonical.JSON.valueToTree(kept));
            o.set("dropped", Canonical.JSON.valueToTree(dropped));
            o.set("cost", Canonical.JSON.valueToTree(cost));
            return List.of(Canonical.JSON.writeValueAsString(o)).iterator();
        }
    }
}
