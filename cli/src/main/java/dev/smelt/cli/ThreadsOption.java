package dev.smelt.cli;

import dev.smelt.tensor.ThreadPool;
import picocli.CommandLine.Option;

/** {@code -t/--threads}, declared once for every command that computes; {@link #count} is the one place its default lives. */
final class ThreadsOption {
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Compute threads (default: all cores).")
    Integer threads;

    /** The threads to use: the option's value, or every core the JVM sees. */
    int count() {
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + n);
        }
        return n;
    }

    /** A new pool of {@link #count} threads; the caller closes it. */
    ThreadPool newPool() {
        return new ThreadPool(count());
    }
}
