package dev.smelt.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --runs DIR}, declared once for the commands that serve web pages ({@code serve}, {@code route}). */
final class RunsOption {
    @Option(names = "--runs", paramLabel = "DIR", description = "Show the training runs and eval results found under DIR on the Runs page (/runs): "
            + "finetune and classify-train output folders, MLflow run folders (mlruns/), eval --out folders (result.json, report.html).")
    Path runs;

    /** The folder, checked before anything is loaded; null without the option. */
    Path folder() {
        if (runs != null && !Files.isDirectory(runs)) {
            throw new IllegalArgumentException("--runs " + runs + ": " + (Files.exists(runs) ? "not a folder" : "no such folder"));
        }
        return runs;
    }
}
