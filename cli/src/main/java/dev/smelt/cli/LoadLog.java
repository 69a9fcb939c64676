package dev.smelt.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The start-up line of commands that load a model: "loading NAME (SIZE)… done in N s" on stderr, so a
 * user waiting on a large file sees what is happening and what it cost. Stateless.
 */
final class LoadLog {
    /** Something that loads and may fail. */
    interface Load<T> {
        T load() throws Exception;
    }

    private LoadLog() {
    }

    /** Runs {@code load}, telling {@code err} what it loads before and how long it took after. */
    static <T> T timed(PrintStream err, String name, long bytes, Load<T> load) throws Exception {
        err.print("loading " + name + (bytes > 0 ? " (" + size(bytes) + ")" : "") + "… ");
        err.flush();
        long t0 = System.nanoTime();
        T t;
        try {
            t = load.load();
        } catch (Exception | Error e) {
            err.println("failed");
            throw e;
        }
        err.println(String.format(Locale.ROOT, "done in %.1f s", (System.nanoTime() - t0) / 1e9));
        return t;
    }

    /** {@link #timed} for a model file: its name and size on disk. */
    static <T> T timed(PrintStream err, Path file, Load<T> load) throws Exception {
        return timed(err, String.valueOf(file.getFileName()), bytes(file), load);
    }

    /** A file's size, or the total of a model directory's files; -1 when there is nothing to measure. */
    static long bytes(Path p) {
        try {
            if (Files.isRegularFile(p)) {
                return Files.size(p);
            }
            if (!Files.isDirectory(p)) {
                return -1;
            }
            try (var s = Files.walk(p, 3)) {
                return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return -1; // the load itself reports the unreadable file
        }
    }

    /** {@link #timed} for an embedding model: a built-in name (its weights' size) or a path. */
    static <T> T timedEmbedder(PrintStream err, String nameOrPath, Load<T> load) throws Exception {
        java.net.URL builtin = dev.smelt.model.encoder.Embedders.builtinWeights(nameOrPath);
        if (builtin != null) {
            return timed(err, nameOrPath, builtin.openConnection().getContentLengthLong(), load);
        }
        return timed(err, Path.of(nameOrPath), load);
    }

    /** Bytes as a short human size (binary units, as ls -h). */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String units = "KMGTP";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f %siB" : "%.0f %siB", v, units.charAt(u));
    }
}
