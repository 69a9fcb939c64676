package dev.smelt.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The shape every row-wise batch command shares: read the input, check the text column and the output, spread the
 * rows over the executors in order, let each partition hand its rows to the executor's one model in batches
 * ({@link RowModel}), append the model's columns to each row, write the output.
 */
public final class BatchJob {
    /** Where the rows are, where they go and how Spark runs (the options of every {@code smelt spark} command). */
    public record Io(String master, String input, String inputFormat, String output, String textColumn) implements Serializable {
    }

    /** What one model adds to a batch of texts; runs on the executors, so it holds only references, never a model. */
    public interface RowModel extends Serializable {
        /** The columns appended to each row. */
        StructField[] columns();

        /** One value array (in {@link #columns} order) per text; called with at most {@link #batch} texts. */
        List<Object[]> apply(List<String> texts);

        /** Texts per call: the engine's batch. */
        int batch();

        /** Throws {@link IllegalArgumentException} on the driver when the model reference cannot be opened (cheap checks only). */
        void check();

        /** Opens the model in this JVM (through {@link ExecutorModels}); returns the load time in ms, or -1 if it was loaded before. */
        long warm();
    }

    /** What a run did: rows written and the model loads per executor JVM ("executor-id: ms"). */
    public record Summary(long rows, List<String> loads, double seconds) {
        public String describe() {
            return String.format(Locale.ROOT, "%d rows in %.1f s (%.1f rows/s); model loads: %s", rows, seconds, rows / Math.max(seconds, 1e-9),
                    loads.isEmpty() ? "none (already loaded)" : String.join(", ", loads));
        }
    }

    private BatchJob() {
    }

    /** Runs {@code model} over {@code io}'s input inside {@code spark}; writes the output and returns what happened. */
    public static Summary run(SparkSession spark, Io io, RowModel model) throws IOException {
        long t0 = System.nanoTime();
        model.check();
        Dataset<Row> df = Tables.read(spark, io.input(), io.inputFormat());
        int text = Tables.stringColumn(df, io.textColumn(), io.input());
        Tables.checkNoMissingText(df, io.textColumn(), io.input());
        StructField[] added = model.columns();
        String[] names = new String[added.length];
        for (int i = 0; i < added.length; i++) {
            names[i] = added[i].name();
        }
        Tables.checkOutput(io.output(), df.columns(), names);
        StructType schema = df.schema();
        for (StructField f : added) {
            schema = schema.add(f);
        }
        CollectionAccumulator<String> loads = spark.sparkContext().collectionAccumulator("smelt model loads");
        LongAccumulator written = spark.sparkContext().longAccumulator("smelt rows");
        // One executor JVM (local[N]) has one model that every task shares: spreading rows buys nothing there and costs
        // the index and shuffle jobs, so the input's own partitions (in order) are used as read.
        JavaRDD<Row> rows = Masters.isLocal(spark.sparkContext().master()) ? df.javaRDD()
                : RowOrder.spread(df, spark.sparkContext().defaultParallelism(), model.batch());
        JavaRDD<Row> out = rows.mapPartitions(new Partitions(model, text, io.textColumn(), loads, written));
        Dataset<Row> result = spark.createDataFrame(out, schema);
        Tables.write(result, io.output());
        return new Summary(written.value(), List.copyOf(loads.value()), (System.nanoTime() - t0) / 1e9);
    }

    /** Runs {@link BatchJob#run} in a session of its own and prints the summary; the command-line entry. */
    public static Summary runCommand(Io io, String appName, RowModel model, PrintStream log) throws IOException {
        SparkSession spark = SparkJobs.session(io.master(), appName);
        try {
            Summary s = run(spark, io, model);
            log.println("smelt spark: " + s.describe());
            return s;
        } finally {
            spark.stop();
            ExecutorModels.closeAll();
        }
    }

    /** One partition: batches of texts through the executor's model, each row with the model's values appended. */
    static final class Partitions implements FlatMapFunction<Iterator<Row>, Row> {
        private final RowModel model;
        private final int text;
        private final String textColumn;
        private final CollectionAccumulator<String> loads;
        private final LongAccumulator written;

        Partitions(RowModel model, int text, String textColumn, CollectionAccumulator<String> loads, LongAccumulator written) {
            this.model = model;
            this.text = text;
            this.textColumn = textColumn;
            this.loads = loads;
            this.written = written;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> in) {
            long ms = model.warm();
            if (ms >= 0) {
                org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
                loads.add("executor " + (env == null ? "?" : env.executorId()) + " (pid " + ProcessHandle.current().pid() + ") " + ms + " ms");
            }
            return new Iterator<>() {
                private Iterator<Row> batch = java.util.Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!batch.hasNext() && in.hasNext()) {
                        batch = process(RowOrder.next(in, model.batch())).iterator();
                    }
                    return batch.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return batch.next();
                }
            };
        }

        private List<Row> process(List<Row> rows) {
            List<String> texts = new ArrayList<>(rows.size());
            for (Row r : rows) {
                if (r.isNullAt(text)) {
                    throw new IllegalArgumentException("a row has no value in column '" + textColumn + "': " + r.mkString(",")
                            + " (fill or drop empty texts first)");
                }
                texts.add(r.getString(text));
            }
            List<Object[]> values = model.apply(texts);
            written.add(rows.size());
            List<Row> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                Object[] v = values.get(i);
                Object[] all = new Object[r.size() + v.length];
                for (int c = 0; c < r.size(); c++) {
                    all[c] = r.get(c);
                }
                System.arraycopy(v, 0, all, r.size(), v.length);
                out.add(RowFactory.create(all));
            }
            return out;
        }
    }
}
