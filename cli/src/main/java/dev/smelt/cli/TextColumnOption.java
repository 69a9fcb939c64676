package dev.smelt.cli;

import picocli.CommandLine.Option;

/** {@code --text-column}: the column or field that holds each row's text, for commands reading tables. */
final class TextColumnOption {
    @Option(names = "--text-column", defaultValue = "text", paramLabel = "NAME",
            description = "Column (CSV, Parquet) or field (JSONL) holding the text (default ${DEFAULT-VALUE}).")
    String name;
}
