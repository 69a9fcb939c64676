package dev.smelt.cli;

import dev.smelt.model.hub.ModelDownloader;
import java.io.PrintStream;

/** A download's progress bar on stderr: bytes so far of the total, rate, and (from {@link Progress}) the ETA. Not thread-safe. */
final class DownloadBar implements ModelDownloader.Progress {
    private final PrintStream err;
    private final String label;
    private final long start = System.nanoTime();
    private Progress bar;
    private long first = -1; // bytes already there when this run began (a resumed download): not counted in the rate

    DownloadBar(PrintStream err, String label) {
        this.err = err;
        this.label = label;
    }

    @Override
    public void update(long done, long total) {
        if (bar == null) {
            bar = new Progress(err, label, total > 0 ? total : 1);
        }
        if (first < 0) {
            first = done;
        }
        double secs = Math.max(1e-3, (System.nanoTime() - start) / 1e9);
        String detail = String.format("%s/%s %s/s", mib(done), total > 0 ? mib(total) : "?", mib((long) ((done - first) / secs)));
        bar.update(total > 0 ? done : 0, detail);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
