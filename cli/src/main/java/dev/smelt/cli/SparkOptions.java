package dev.smelt.cli;

import picocli.CommandLine.Option;

/** Where a {@code smelt spark} command reads and writes, and which Spark master runs it; shared by every spark subcommand. */
final class SparkOptions {
    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "Input table: .parquet (file or folder), .jsonl or .csv with a header row; local paths or any Hadoop URL (hdfs://, s3a://).")
    String input;

    @Option(names = "--input-format", paramLabel = "FORMAT", description = "parquet, jsonl or csv when the input's name does not say.")
    String inputFormat;

    @Option(names = "--output", required = true, paramLabel = "PATH",
            description = "classify, embed, generate: one .jsonl file (rows in input order) or a .parquet folder with the input's columns plus "
                    + "the results (must not exist); eval, distill: the output folder.")
    String output;

    @Option(names = "--master", defaultValue = "local[*]", paramLabel = "URL",
            description = "Spark master: local[*] (default: embedded, nothing to install), local[N], local-cluster[WORKERS,CORES,MB] "
                    + "(executors as separate JVMs), spark://HOST:PORT, k8s://..., yarn.")
    String master;
}
