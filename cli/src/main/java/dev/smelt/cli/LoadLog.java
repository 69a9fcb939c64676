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
        long bytes = Files.isRegularFile(file) ? Files.size(file) : -1;
        return timed(err, file.getFileName().toString(), bytes, load);
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
