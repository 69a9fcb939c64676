package dev.smelt.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The classifier a command applies and whether it may abstain: {@code smelt classify} and {@code smelt spark classify}. */
final class ClassifierOptions {
    @Option(names = {"-m", "--model"}, required = true, description = "Directory written by classify-train.")
    Path model;

    @Option(names = "--raw", description = "Never abstain: label is the best label even below the classifier's threshold.")
    boolean raw;
}
