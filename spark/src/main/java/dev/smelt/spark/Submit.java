package dev.smelt.spark;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code spark-submit} entry of the shaded jar (docs/SPARK.md): the master, executors and JVM options come from
 * spark-submit, the rest from {@code --name value} pairs with the CLI's option names:
 * <pre>
 *   spark-submit --class dev.smelt.spark.Submit smelt-spark-VERSION-shaded.jar classify \
 *       --model /shared/models/tickets --input s3a://b/tickets.parquet --output s3a://b/labels.parquet [--text-column text]
 *   ... embed [--model all-minilm-l6-v2] --input ... --output ...
 *   ... generate --model /shared/model.gguf --input ... --output ... [--max-tokens 128] [--temperature 0] [--slots 8] [--ctx 4096]
 * </pre>
 * Exit 1 with one line on a bad input, like ./smelt.
 */
public final class Submit {
    private Submit() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception e) {
            System.err.println("smelt: error: " + SparkErrors.describe(e));
            System.exit(1);
        }
    }

    static void run(String[] args) throws Exception {
        if (args.length == 0 || args[0].startsWith("-")) {
            throw new IllegalArgumentException("usage: Submit classify|embed|generate --input PATH --output PATH [--model M] [--text-column C] ...");
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs after the command, got '" + args[i] + "'");
            }
            o.put(args[i].substring(2), args[++i]);
        }
        SparkJdk.check();
        int threads = Integer.parseInt(o.getOrDefault("threads", "0"));
        BatchJob.RowModel model = switch (args[0]) {
            case "classify" -> new ClassifyModel(need(o, "model"), threads, Boolean.parseBoolean(o.getOrDefault("raw", "false")));
            case "embed" -> new EmbedModel(o.getOrDefault("model", "all-minilm-l6-v2"), threads, Integer.parseInt(o.getOrDefault("batch", "32")));
            case "generate" -> new GenerateModel(need(o, "model"), threads, Integer.parseInt(o.getOrDefault("slots", "8")),
                    Integer.parseInt(o.getOrDefault("ctx", "4096")), Integer.parseInt(o.getOrDefault("max-tokens", "128")), false,
                    new GenerateModel.Sampling(Float.parseFloat(o.getOrDefault("temperature", "0.8")), 40, 0.95f, 0.05f, 1f, 64, 0f, 0f,
                            Long.parseLong(o.getOrDefault("seed", "42"))));
            default -> throw new IllegalArgumentException("unknown command '" + args[0] + "': classify, embed or generate");
        };
        SparkSession spark = SparkSession.builder().appName("smelt " + args[0]).getOrCreate();
        try {
            BatchJob.Summary s = BatchJob.run(spark, new BatchJob.Io(spark.sparkContext().master(), need(o, "input"), o.get("input-format"),
                    need(o, "output"), o.getOrDefault("text-column", "text")), model);
            System.err.println("smelt spark: " + s.describe());
        } finally {
            spark.stop();
        }
    }

    private static String need(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }
}
