package dev.smelt.spark;

import dev.smelt.client.Prices;
import dev.smelt.client.RetryPolicy;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.ClassifierTarget;
import dev.smelt.eval.EvalRecord;
import dev.smelt.eval.EvalRunner;
import dev.smelt.eval.LocalModelTarget;
import dev.smelt.eval.RemoteTarget;
import dev.smelt.eval.Target;
import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code smelt spark eval}: the labelled rows are spread over the executors, each executor runs the target on its
 * rows with {@link EvalRunner} (the single-machine scorer), and the records come back to the driver in input order,
 * where {@code smelt eval}'s own metrics and report are computed from them. Targets: {@code classifier:DIR}, a GGUF
 * path, or an OpenAI-compatible URL (its --rpm/--tpm split evenly over the executors, so the limits hold globally).
 */
public final class SparkEval {
    /** A remote target's settings ({@code smelt eval}'s teacher options), serializable for the executors. */
    public record Remote(String model, String apiKeyEnv, int concurrency, double rpm, double tpm, String priceIn, String priceOut,
                         double timeoutSeconds, int retries, long seed) implements Serializable {
        TeacherConfig config(String url, int executors) {
            return config(url, null, executors, null);
        }

        /** The config of one of {@code shares} equal clients (each gets that share of --rpm/--tpm), with a response cache or none. */
        TeacherConfig config(String url, String defaultModel, int shares, Path cache) {
            RetryPolicy d = RetryPolicy.defaults(seed);
            String m = model != null ? model : defaultModel;
            if (m == null) {
                throw new IllegalArgumentException("--model is required for a remote endpoint");
            }
            if (timeoutSeconds <= 0) {
                throw new IllegalArgumentException("--timeout must be > 0 seconds, got " + timeoutSeconds);
            }
            BigDecimal in;
            BigDecimal out;
            try {
                in = new BigDecimal(priceIn);
                out = new BigDecimal(priceOut);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--price-in/--price-out must be decimal numbers, got " + priceIn + ", " + priceOut);
            }
            return TeacherConfig.of(url, m).withLimits(concurrency, rpm / shares, tpm / shares).withCache(cache)
                    .withPrices(new Prices(in, out))
                    .withRetry(new RetryPolicy(retries, d.initial(), d.max(), d.maxRetryAfter(), d.random()),
                            Duration.ofMillis((long) (timeoutSeconds * 1000))).withApiKeyEnv(apiKeyEnv);
        }
    }

    /** One --target and how its executors open it. */
    public record TargetSpec(String arg, String taskPath, int threads, int ctx, Remote remote, int executors) implements Serializable {
        public String name() {
            int eq = arg.indexOf('=');
            if (eq > 0 && !arg.startsWith("http")) {
                return arg.substring(0, eq);
            }
            String s = spec();
            if (s.startsWith("http://") || s.startsWith("https://")) {
                return java.net.URI.create(s).getHost();
            }
            if (s.startsWith("classifier:")) {
                return Path.of(s.substring(11)).getFileName().toString();
            }
            return Path.of(s).getFileName().toString().replaceFirst("\\.gguf$", "");
        }

        String spec() {
            int eq = arg.indexOf('=');
            return eq > 0 && !arg.startsWith("http") ? arg.substring(eq + 1) : arg;
        }

        Target open(TaskSpec task) throws IOException {
            String s = spec();
            if (s.startsWith("http://") || s.startsWith("https://")) {
                return new RemoteTarget(name(), new TeacherClient(remote.config(s, executors), HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(10)).build(), TimeSource.SYSTEM, System::getenv), true);
            }
            if (s.startsWith("classifier:")) {
                return new ClassifierTarget(name(), Path.of(s.substring(11)), ExecutorModels.threads(threads));
            }
            return new LocalModelTarget(name(), Path.of(s), ExecutorModels.threads(threads), ctx);
        }

        void check() {
            String s = spec();
            if (s.startsWith("http://") || s.startsWith("https://")) {
                remote.config(s, 1);
                return;
            }
            Path p = Path.of(s.startsWith("classifier:") ? s.substring(11) : s);
            if (!java.nio.file.Files.exists(p)) {
                throw new IllegalArgumentException("--target " + arg + ": no such file or folder " + p
                        + " (give classifier:DIR, a .gguf on storage every executor reads, or a URL)");
            }
        }
    }

    /** Targets of this JVM, one per target spec (a target holds a model or an HTTP client with its rate limits). */
    private static final Map<TargetSpec, Target> TARGETS = new ConcurrentHashMap<>();

    private SparkEval() {
    }

    /** The task's labelled rows of {@code input}, each answered by {@code target} on the executors; in input order. */
    public static List<EvalRecord> predict(SparkSession spark, String input, String inputFormat, TaskSpec task, TargetSpec target, Integer limit)
            throws IOException {
        target.check();
        Dataset<Row> df = Tables.read(spark, input, inputFormat);
        Tables.stringColumn(df, task.inputField(), input);
        Tables.stringColumn(df, task.labelField(), input);
        Dataset<Row> sel = df.select(task.inputField(), task.labelField());
        if (limit != null) {
            if (limit < 1) {
                throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
            }
            sel = sel.limit(limit);
        }
        int lineOffset = Tables.formatOf(input, inputFormat, "--input") == Tables.Format.CSV ? 2 : 1; // CSV: the header is line 1
        JavaRDD<Row> rows = Masters.isLocal(spark.sparkContext().master()) ? sel.javaRDD() // one JVM: nothing to spread
                : RowOrder.spread(sel, spark.sparkContext().defaultParallelism(), 1);
        JavaRDD<Object[]> records = rows.zipWithIndex().mapPartitions(new Answer(target, lineOffset));
        List<Object[]> got = new ArrayList<>(records.collect());
        List<EvalRecord> out = new ArrayList<>(got.size());
        for (Object[] f : got) {
            out.add(record(f));
        }
        out.sort(Comparator.comparingInt(r -> lineOf(r.id())));
        return out;
    }

    private static int lineOf(String id) {
        try {
            return Integer.parseInt(id.replaceAll("\\D+", ""));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** One partition's rows through its JVM's target, as EvalRunner scores them on one machine. */
    static final class Answer implements org.apache.spark.api.java.function.FlatMapFunction<Iterator<scala.Tuple2<Row, Long>>, Object[]> {
        private final TargetSpec target;
        private final int lineOffset;

        Answer(TargetSpec target, int lineOffset) {
            this.target = target;
            this.lineOffset = lineOffset;
        }

        @Override
        public Iterator<Object[]> call(Iterator<scala.Tuple2<Row, Long>> it) throws Exception {
            TaskSpec task = TaskSpec.load(Path.of(target.taskPath()));
            List<DataFile.Row> rows = new ArrayList<>();
            while (it.hasNext()) {
                scala.Tuple2<Row, Long> t = it.next();
                rows.add(new DataFile.Row((int) (t._2() + lineOffset), t._1().getString(0), t._1().getString(1)));
            }
            if (rows.isEmpty()) {
                return java.util.Collections.emptyIterator();
            }
            Target tg = TARGETS.computeIfAbsent(target, k -> {
                try {
                    return k.open(task);
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            });
            List<EvalRecord> rs;
            if (tg.isThreadSafe()) {
                rs = EvalRunner.run(tg, task, rows, Math.max(1, target.remote() == null ? 1 : target.remote().concurrency()), m -> { });
            } else {
                synchronized (tg) { // tasks of one JVM take turns on a local model
                    rs = EvalRunner.run(tg, task, rows, 1, m -> { });
                }
            }
            List<Object[]> out = new ArrayList<>(rs.size());
            for (EvalRecord r : rs) {
                out.add(fields(r));
            }
            return out.iterator();
        }
    }

    static Object[] fields(EvalRecord r) {
        return new Object[] {r.id(), r.input(), r.expected(), r.answer(), r.predicted(), r.correct(), r.score(), r.valid(), r.answeredBy(),
            r.latencyMs(), r.inputTokens(), r.outputTokens(), r.costUsd(), r.confidence(), r.error(), r.judgeScore()};
    }

    static EvalRecord record(Object[] f) {
        return new EvalRecord((String) f[0], (String) f[1], (String) f[2], (String) f[3], (String) f[4], (Boolean) f[5], (Double) f[6],
                (Boolean) f[7], (String) f[8], (Double) f[9], (Long) f[10], (Long) f[11], (BigDecimal) f[12], (Double) f[13], (String) f[14],
                (Double) f[15]);
    }

    /** Closes this JVM's targets (the CLI's driver at the end of a local run). */
    public static void closeTargets() {
        for (Target t : TARGETS.values()) {
            try {
                t.close();
            } catch (Exception e) {
                // freeing a model or client cannot lose results
            }
        }
        TARGETS.clear();
    }
}
