package dev.smelt.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Input and output tables of the batch commands: Parquet, JSONL or CSV (with a header row) in; Parquet (a folder, as
 * Spark writes it) or one JSONL file out, rows in input order. Paths without a scheme are local files and are checked
 * on the driver first so a missing file is one clear line, not a Spark stack trace.
 */
public final class Tables {
    enum Format { PARQUET, JSONL, CSV }

    private Tables() {
    }

    static Format formatOf(String path, String given, String option) {
        if (given != null && !given.isBlank()) {
            return switch (given.toLowerCase(Locale.ROOT)) {
                case "parquet" -> Format.PARQUET;
                case "jsonl", "json", "ndjson" -> Format.JSONL;
                case "csv" -> Format.CSV;
                default -> throw new IllegalArgumentException(option + "-format must be parquet, jsonl or csv, got '" + given + "'");
            };
        }
        String p = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        if (p.endsWith(".parquet")) {
            return Format.PARQUET;
        }
        if (p.endsWith(".jsonl") || p.endsWith(".json") || p.endsWith(".ndjson")) {
            return Format.JSONL;
        }
        if (p.endsWith(".csv")) {
            return Format.CSV;
        }
        throw new IllegalArgumentException(option + " " + path + ": cannot tell the format from the name; end it in .parquet, .jsonl or .csv"
                + " (or give " + option + "-format)");
    }

    static boolean isLocal(String path) {
        URI u = URI.create(path.replace(" ", "%20"));
        return u.getScheme() == null || u.getScheme().equals("file") || u.getScheme().length() == 1; // C: on Windows
    }

    /** Reads {@code path}; every field is kept as read (CSV columns as strings, so values round-trip unchanged). */
    public static Dataset<Row> read(SparkSession spark, String path, String format) {
        Format f = formatOf(path, format, "--input");
        if (isLocal(path)) {
            Path p = Path.of(path.startsWith("file:") ? URI.create(path).getPath() : path);
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("--input " + path + ": no such file");
            }
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("--input " + path + ": not readable (permissions)");
            }
        }
        try {
            return switch (f) {
                case PARQUET -> spark.read().parquet(path);
                case JSONL -> spark.read().option("mode", "FAILFAST").json(path);
                case CSV -> spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                        .option("mode", "FAILFAST").csv(path);
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--input " + path + ": cannot read it as " + f.name().toLowerCase(Locale.ROOT) + ": "
                    + SparkErrors.firstLine(e), e);
        }
    }

    /** The index of string column {@code name}, or an error listing the columns there are. */
    static int stringColumn(Dataset<Row> df, String name, String input) {
        String[] cols = df.columns();
        int i = Arrays.asList(cols).indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("--input " + input + " has no column '" + name + "' (columns: " + String.join(", ", cols)
                    + "); choose one with --text-column");
        }
        StructField f = df.schema().fields()[i];
        if (!f.dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("--input " + input + ": column '" + name + "' holds " + f.dataType().simpleString()
                    + ", not text");
        }
        return i;
    }

    /**
     * Refuses an input with rows that have no text, on the driver before any model runs: found inside a task instead,
     * the failure would reach the user as Spark's task-failure logs and stack traces before smelt's own line. Costs
     * one scan of that column (cheap beside the model).
     */
    static void checkNoMissingText(Dataset<Row> df, String name, String input) {
        Dataset<Row> missing = df.filter(org.apache.spark.sql.functions.col("`" + name.replace("`", "``") + "`").isNull());
        List<Row> first = missing.limit(1).collectAsList();
        if (!first.isEmpty()) {
            long n = missing.count();
            throw new IllegalArgumentException("--input " + input + ": " + n + (n == 1 ? " row has" : " rows have") + " no value in column '"
                    + name + "' (the first: " + first.get(0).mkString(", ") + "); fill or drop empty texts first");
        }
    }

    /** Refuses an output the job would overwrite or could not write, before any work is done. */
    static Format checkOutput(String path, String[] inputColumns, String... added) {
        Format f = formatOf(path, null, "--output");
        if (f == Format.CSV) {
            throw new IllegalArgumentException("--output " + path + ": write .jsonl or .parquet (CSV cannot hold vectors and nested values)");
        }
        for (String a : added) {
            if (Arrays.asList(inputColumns).contains(a)) {
                throw new IllegalArgumentException("the input already has a column '" + a + "', which the output adds; rename it first");
            }
        }
        if (isLocal(path)) {
            Path p = Path.of(path);
            if (Files.exists(p)) {
                throw new IllegalArgumentException("--output " + path + " already exists; remove it or choose another path");
            }
            Path parent = p.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new IllegalArgumentException("--output " + path + ": folder " + parent + " does not exist");
            }
        }
        return f;
    }

    /**
     * Writes {@code df} in partition order. JSONL: Spark writes the parts in parallel to a hidden folder beside the
     * output, then the driver joins them into one file under a temporary name and renames it, so a failed job leaves
     * no half-written output.
     */
    static void write(Dataset<Row> df, String path) throws IOException {
        Format f = formatOf(path, null, "--output");
        if (f == Format.PARQUET) {
            df.write().parquet(path);
            return;
        }
        Configuration hadoop = df.sparkSession().sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = out.getFileSystem(hadoop);
        org.apache.hadoop.fs.Path parts = new org.apache.hadoop.fs.Path(out.getParent(), "." + out.getName() + ".parts-" + UUID.randomUUID());
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(out.getParent(), "." + out.getName() + ".tmp-" + UUID.randomUUID());
        try {
            df.toJSON().write().option("compression", "none").text(parts.toString());
            FileStatus[] files = fs.listStatus(parts, p -> p.getName().startsWith("part-"));
            Arrays.sort(files, Comparator.comparing(s -> s.getPath().getName()));
            try (OutputStream o = fs.create(tmp, false)) {
                for (FileStatus s : files) {
                    try (InputStream in = fs.open(s.getPath())) {
                        in.transferTo(o);
                    }
                }
            }
            if (!fs.rename(tmp, out)) {
                throw new IOException("cannot rename " + tmp + " to " + out);
            }
        } finally {
            fs.delete(parts, true);
            fs.delete(tmp, false);
        }
    }
}
