package dev.smelt.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code smelt spark ...}: the batch commands on Apache Spark. These classes hold only options (shared with the
 * single-machine commands); every Spark call is in {@link SparkRun}, so building the command tree, {@code --help} and
 * every other command never load a Spark class (./smelt puts Spark's jars on the classpath for {@code spark} only).
 */
final class SparkCommands {
    private SparkCommands() {
    }

    @Command(name = "spark", description = "Batch jobs on Apache Spark 4.2: classify, embed, generate, evaluate or distill a whole table (Parquet, JSONL, CSV) "
            + "on the embedded local[*] master, a local-cluster or a real cluster.",
            subcommands = {Classify.class, Embed.class, Generate.class, Eval.class, Distill.class})
    static final class Root implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(System.err);
            return 2;
        }
    }

    @Command(name = "classify", description = "Classify the text column of a table: the input's columns plus label and probability, "
            + "as `smelt classify` answers for each text. One model per executor JVM, rows in batches.")
    static final class Classify implements Callable<Integer> {
        @Mixin
        SparkOptions io;

        @Mixin
        TextColumnOption text;

        @Mixin
        ClassifierOptions classifier;

        @Mixin
        ThreadsOption threads;

        @Override
        public Integer call() throws Exception {
            requireSpark();
            return SparkRun.classify(io, text.name, classifier.model.toString(), classifier.raw, threads.threads);
        }
    }

    @Command(name = "embed", description = "Embed the text column of a table: the input's columns plus embedding (array of float), "
            + "equal to `smelt embed` for each text. One model per executor JVM, rows in batches.")
    static final class Embed implements Callable<Integer> {
        @Mixin
        SparkOptions io;

        @Mixin
        TextColumnOption text;

        @Mixin
        EmbedderOptions embedder;

        @Mixin
        ThreadsOption threads;

        @Override
        public Integer call() throws Exception {
            requireSpark();
            return SparkRun.embed(io, text.name, embedder.model, embedder.batch(), threads.threads);
        }
    }

    @Command(name = "generate", description = "Generate a completion for each row's text (the prompt, as `smelt run -p`): the input's "
            + "columns plus completion, finish_reason and completion_tokens. At --temperature 0 each completion equals `smelt run`'s. "
            + "Rows reach each executor's engine in batches, which it decodes together (continuous batching).")
    static final class Generate implements Callable<Integer> {
        @Mixin
        ModelArgument model;

        @Mixin
        SparkOptions io;

        @Mixin
        TextColumnOption text;

        @picocli.CommandLine.Option(names = {"-n", "--max-tokens"}, defaultValue = "128", description = "Tokens to generate per row (default ${DEFAULT-VALUE}).")
        int maxTokens;

        @picocli.CommandLine.Option(names = "--slots", defaultValue = "8", description = "Sequences each executor decodes together (default ${DEFAULT-VALUE}).")
        int slots;

        @picocli.CommandLine.Option(names = "--ignore-eos", description = "Keep generating past end-of-generation tokens.")
        boolean ignoreEos;

        @Mixin
        SamplingOptions sampling;

        @Mixin
        ModelOptions modelOptions;

        @Override
        public Integer call() throws Exception {
            requireSpark();
            String path = model.resolve().toString();
            int ctx = modelOptions.contextOr(ModelOptions.DEFAULT_CONTEXT);
            return SparkRun.generate(io, text.name, path, modelOptions.threads.threads, slots, ctx, maxTokens, ignoreEos, sampling);
        }
    }

    @Command(name = "eval", description = "Evaluate targets on a task's labelled table, the examples answered on the executors: the same "
            + "metrics and report as `smelt eval` (accuracy, macro-F1, confusion, cost, latency percentiles) from the distributed predictions. "
            + "--output is a folder: result.json, report.html, predictions-TARGET.jsonl.")
    static final class Eval implements Callable<Integer> {
        @Mixin
        SparkOptions io;

        @picocli.CommandLine.Option(names = "--task", required = true, description = "Task spec (YAML/JSON): prompt, labels or schema, metric, input and label fields.")
        java.nio.file.Path task;

        @picocli.CommandLine.Option(names = "--target", required = true,
                description = "[NAME=]classifier:DIR | MODEL.gguf | URL (repeatable); files on storage every executor reads.")
        java.util.List<String> targets;

        @picocli.CommandLine.Option(names = "--limit", description = "Only the first N examples.")
        Integer limit;

        @picocli.CommandLine.Option(names = "--json", description = "Print only the JSON result.")
        boolean json;

        @Mixin
        TeacherOptions teacher;

        @Mixin
        ModelOptions model;

        @Override
        public Integer call() throws Exception {
            requireSpark();
            teacher.config("http://check", "check", null); // the teacher options' own checks (prices, timeout), before Spark starts
            return SparkRun.eval(io, task, targets, limit, json, teacher, model);
        }
    }

    @Command(name = "distill", description = "Label a table's inputs with a teacher, the requests spread over the executors: the same "
            + "train.jsonl, report.json, DATA_CARD.md and dropped-row accounting as `smelt distill`. --rpm/--tpm are global (each task slot "
            + "gets its share); a rerun skips every answered input (OUTPUT/cache). --output is the output folder.")
    static final class Distill implements Callable<Integer> {
        @Mixin
        SparkOptions io;

        @picocli.CommandLine.Option(names = "--task", required = true, description = "Task spec (YAML or JSON).")
        java.nio.file.Path task;

        @picocli.CommandLine.Option(names = "--teacher", description = "Teacher base URL, e.g. https://api.openai.com/v1.")
        String teacherUrl;

        @picocli.CommandLine.Option(names = "--replay-teacher", description = "Start the replay teacher STAND-IN on this labelled file "
                + "(offline demo; it answers by looking labels up, it is not a model) and use it as the teacher.")
        java.nio.file.Path replay;

        @picocli.CommandLine.Option(names = "--limit", description = "Use only the first N inputs.")
        Integer limit;

        @picocli.CommandLine.Option(names = "--chunk", defaultValue = "256",
                description = "Inputs per task, each with its own teacher client and cache file; keep it when resuming (default ${DEFAULT-VALUE}).")
        int chunk;

        @Mixin
        TeacherOptions teacher;

        @Override
        public Integer call() throws Exception {
            requireSpark();
            if (chunk < 1) {
                throw new IllegalArgumentException("--chunk must be >= 1, got " + chunk);
            }
            if ((teacherUrl == null) == (replay == null)) {
                throw new IllegalArgumentException("give exactly one of --teacher URL or --replay-teacher FILE");
            }
            if (limit != null && limit < 1) {
                throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
            }
            return SparkRun.distill(io, task, teacherUrl, replay, limit, chunk, teacher);
        }
    }

    /** A distribution without Spark's jars (the jlink tarball) says so, instead of failing on a missing class. */
    static void requireSpark() {
        for (String c : new String[] {"org.apache.spark.sql.SparkSession", "dev.smelt.spark.BatchJob"}) {
            try {
                Class.forName(c, false, SparkCommands.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("smelt spark needs Spark's libraries (cli/target/spark-lib, which ./smelt adds from a "
                        + "source build); on a cluster, spark-submit the shaded jar (docs/SPARK.md)");
            }
        }
    }
}
