package dev.smelt.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr (redrawn in place on a terminal, sparse lines otherwise). Not thread-safe. */
final class Progress {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final String label;
    private final long total;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private int lastPercent = -1;

    Progress(PrintStream err, String label, long total) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
    }

    void update(long done, String detail) {
        int pct = (int) (100 * Math.min(done, total) / total);
        if (pct == lastPercent && done < total) {
            return;
        }
        if (!tty && pct / 10 == Math.floorDiv(lastPercent, 10) && done < total) { // floorDiv: the first update (from -1) prints
            lastPercent = pct;
            return;
        }
        lastPercent = pct;
        int filled = WIDTH * pct / 100;
        double secs = (System.nanoTime() - start) / 1e9;
        double eta = done > 0 ? secs * (total - done) / done : 0;
        String line = String.format("%s [%s%s] %3d%% %s %.0fs elapsed, ETA %.0fs", label, "#".repeat(filled),
                " ".repeat(WIDTH - filled), pct, detail == null ? "" : detail, secs, eta);
        err.print(tty ? "\r" + line : line + "\n");
        if (tty && done >= total) {
            err.println();
        }
        err.flush();
    }
}
