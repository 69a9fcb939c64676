package dev.smelt.eval;

import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts or external assets): a table of targets,
 * accuracy vs cost per 1k queries, an optional accuracy vs teacher-share routing curve, and a
 * confusion-matrix heatmap per classification target. Stateless, thread-safe.
 */
public final class HtmlReport {
    private static final int PLOT_W = 520;
    private static final int PLOT_H = 320;
    private static final int PAD = 48;

    private HtmlReport() {
    }

    /** A point of a routing curve: share of calls sent to the strong model, accuracy, label (threshold). */
    public record CurvePoint(double share, double accuracy, String label) {
    }

    public static String render(String title, List<EvalReport.Evaluated> targets, List<CurvePoint> curve) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n<style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}")
                .append("svg{background:#fff;border:1px solid #ddd;margin:8px 0}</style></head><body>\n");
        sb.append("<h1>").append(esc(title)).append("</h1>\n<table><tr><th>target</th><th>n</th><th>accuracy</th><th>macro-F1</th>")
                .append("<th>valid</th><th>errors</th><th>p50 ms</th><th>p95 ms</th><th>tokens in/out</th><th>cost USD</th><th>USD / 1k</th><th>paths</th></tr>\n");
        for (EvalReport.Evaluated e : targets) {
            Metrics m = e.metrics();
            StringBuilder paths = new StringBuilder();
            m.byTarget().forEach((k, v) -> paths.append(esc(k)).append(": ").append(v.n()).append(" (").append(pct(v.accuracy())).append(") "));
            sb.append("<tr><td>").append(esc(e.target())).append("</td><td>").append(m.n()).append("</td><td>").append(pct(m.accuracy()))
                    .append("</td><td>").append(Double.isNaN(m.macroF1()) ? "" : fmt(m.macroF1())).append("</td><td>").append(pct(m.validity()))
                    .append("</td><td>").append(m.errors()).append("</td><td>").append(fmt(m.latencyP50Ms())).append("</td><td>")
                    .append(fmt(m.latencyP95Ms())).append("</td><td>").append(m.inputTokens()).append(" / ").append(m.outputTokens())
                    .append("</td><td>").append(m.costUsd().stripTrailingZeros().toPlainString()).append("</td><td>")
                    .append(EvalReport.per1k(m.costUsd(), m.n()).toPlainString()).append("</td><td>").append(paths).append("</td></tr>\n");
        }
        sb.append("</table>\n<h2>Accuracy vs cost</h2>\n").append(costPlot(targets));
        if (curve != null && !curve.isEmpty()) {
            sb.append("<h2>Routing curve: accuracy vs share of teacher calls</h2>\n").append(curvePlot(curve));
        }
        for (EvalReport.Evaluated e : targets) {
            if (e.metrics().confusion() != null) {
                sb.append("<h2>Confusion matrix: ").append(esc(e.target())).append("</h2>\n").append(heatmap(e.metrics()));
            }
        }
        return sb.append("</body></html>\n").toString();
    }

    private static String costPlot(List<EvalReport.Evaluated> ts) {
        double maxX = 0;
        for (EvalReport.Evaluated e : ts) {
            maxX = Math.max(maxX, EvalReport.per1k(e.metrics().costUsd(), e.metrics().n()).doubleValue());
        }
        maxX = maxX == 0 ? 1 : maxX * 1.1;
        StringBuilder s = axes("USD per 1k queries", "accuracy", maxX);
        for (EvalReport.Evaluated e : ts) {
            double x = EvalReport.per1k(e.metrics().costUsd(), e.metrics().n()).doubleValue();
            double px = PAD + x / maxX * PLOT_W;
            double py = PAD + (1 - e.metrics().accuracy()) * PLOT_H;
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#1f77b4\"><title>%s: %s at %s USD/1k</title></circle>",
                    px, py, esc(e.target()), pct(e.metrics().accuracy()), fmt(x)));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>", px + 7, py - 4, esc(e.target())));
        }
        return s.append("</svg>\n").toString();
    }

    private static String curvePlot(List<CurvePoint> c) {
        StringBuilder s = axes("share of requests sent to the teacher", "accuracy", 1.0);
        StringBuilder pts = new StringBuilder();
        for (CurvePoint p : c) {
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", PAD + p.share() * PLOT_W, PAD + (1 - p.accuracy()) * PLOT_H));
        }
        s.append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"").append(pts.toString().strip()).append("\"/>");
        for (CurvePoint p : c) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#d62728\"><title>%s: share %s, accuracy %s</title></circle>",
                    PAD + p.share() * PLOT_W, PAD + (1 - p.accuracy()) * PLOT_H, esc(p.label()), pct(p.share()), pct(p.accuracy())));
        }
        return s.append("</svg>\n").toString();
    }

    private static StringBuilder axes(String xLabel, String yLabel, double maxX) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">",
                PLOT_W + 2 * PAD, PLOT_H + 2 * PAD));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", PAD, PAD, PLOT_W, PLOT_H));
        for (int i = 0; i <= 4; i++) {
            double y = PAD + PLOT_H * i / 4.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", PAD, PAD + PLOT_W, y, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>", PAD - 4, y + 3, pct(1 - i / 4.0)));
            double x = PAD + PLOT_W * i / 4.0;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>", x, PAD + PLOT_H + 14,
                    fmt(maxX * i / 4.0)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>", PAD + PLOT_W / 2,
                PAD + PLOT_H + 32, esc(xLabel)));
        s.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>",
                PAD + PLOT_H / 2, PAD + PLOT_H / 2, esc(yLabel)));
        return s;
    }

    private static String heatmap(Metrics m) {
        List<String> labels = m.confusionLabels();
        int k = labels.size();
        int cell = Math.max(6, Math.min(28, 640 / k));
        int off = 8;
        int max = 1;
        for (int[] r : m.confusion()) {
            for (int x : r) {
                max = Math.max(max, x);
            }
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<p>Rows: expected label, columns: predicted (last column: %s). Hover a cell for its counts.</p>"
                + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">", esc(Scoring.INVALID), k * cell + 2 * off, k * cell + 2 * off));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>", off, off, k * cell, k * cell));
        for (int g = 0; g < k; g++) {
            for (int p = 0; p < k; p++) {
                int v = m.confusion()[g][p];
                if (v == 0) {
                    continue; // empty cells are the background: keeps a 77-label report small
                }
                double t = v == 0 ? 0 : 0.15 + 0.85 * v / max;
                String color = g == p ? String.format(Locale.ROOT, "rgba(31,119,180,%.3f)", t) : String.format(Locale.ROOT, "rgba(214,39,40,%.3f)", t);
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#f4f4f4\"><title>%s → %s: %d</title></rect>",
                        off + p * cell, off + g * cell, cell, cell, color, esc(labels.get(g)), esc(labels.get(p)), v));
            }
        }
        return s.append("</svg>\n").toString();
    }

    static String pct(double x) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }

    static String fmt(double x) {
        return String.format(Locale.ROOT, x != 0 && Math.abs(x) < 0.01 ? "%.4g" : "%.2f", x);
    }

    static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
