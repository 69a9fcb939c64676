package dev.smelt.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts or external assets): a table of targets, accuracy vs
 * cost per 1k queries, an optional accuracy vs teacher-share routing curve with the chosen operating point marked,
 * and per classification target a confusion-matrix heatmap with its labels on both axes and a per-class table
 * (precision, recall, F1, support); per target a sample of its errors (input, expected, predicted). Accuracy axes are
 * zoomed to the data (a router between 82% and 91% is not drawn in the top tenth of a 0-100% axis). Every text from
 * the data (target names, labels, inputs, answers) is escaped: the report never carries markup it was given.
 * Stateless, thread-safe.
 */
public final class HtmlReport {
    private static final int PLOT_W = 520;
    private static final int PLOT_H = 320;
    private static final int PAD = 48;
    /** Errors listed per target: enough to see the patterns, small enough for a 10k-example report. */
    static final int ERROR_SAMPLE = 20;
    /** Characters of an input or answer shown in the error sample. */
    static final int TEXT_CHARS = 400;
    /** Characters of a label on the confusion matrix's axes (the full label is in the cell's tooltip). */
    private static final int LABEL_CHARS = 20;
    /** Accuracy tick steps, smallest first: the axis uses the smallest one giving at most {@link #MAX_TICKS} intervals. */
    private static final double[] TICK_STEPS = {0.01, 0.02, 0.05, 0.1, 0.2, 0.25};
    private static final int MAX_TICKS = 6;
    /** Share of the data's accuracy span added above and below it, so no point sits on the frame. */
    private static final double Y_MARGIN = 0.1;
    /** Table borders as attributes too: where a page's policy refuses the inline style sheet, the tables stay readable. */
    private static final String TABLE = " border=\"1\" cellpadding=\"4\" cellspacing=\"0\"";

    private HtmlReport() {
    }

    /** A point of a routing curve: share of calls sent to the strong model, accuracy, label (threshold). */
    public record CurvePoint(double share, double accuracy, String label) {
    }

    /** An accuracy axis from {@code lo} to {@code hi} with ticks every {@code step}. */
    record YRange(double lo, double hi, double step) {
        double y(double accuracy) {
            return PAD + (hi - accuracy) / (hi - lo) * PLOT_H;
        }
    }

    /** The report without per-example records (no error sample) and without a marked operating point. */
    public static String render(String title, List<EvalReport.Evaluated> targets, List<CurvePoint> curve) {
        return render(title, targets, Map.of(), curve, null);
    }

    /**
     * @param records the scored examples per target name (the error sample); targets without records get none
     * @param curve   the routing curve, or empty
     * @param chosen  the router's operating point on the curve (its share and accuracy), or null
     */
    public static String render(String title, List<EvalReport.Evaluated> targets, Map<String, List<EvalRecord>> records,
                                List<CurvePoint> curve, CurvePoint chosen) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n<style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:8px 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}")
                .append("table.errors td,table.errors th{text-align:left;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere;max-width:40em}")
                .append("svg{background:#fff;border:1px solid #ddd;margin:8px 0}</style></head><body>\n");
        sb.append("<h1>").append(esc(title)).append("</h1>\n<table class=\"targets\"" + TABLE + "><tr><th>target</th><th>n</th><th>accuracy</th><th>macro-F1</th>")
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
            sb.append("<h2>Routing curve: accuracy vs share of teacher calls</h2>\n").append(curvePlot(curve, chosen));
        }
        for (EvalReport.Evaluated e : targets) {
            if (e.metrics().confusion() != null) {
                sb.append("<h2>Confusion matrix: ").append(esc(e.target())).append("</h2>\n").append(heatmap(e.metrics()));
                sb.append("<h2>Per class: ").append(esc(e.target())).append("</h2>\n").append(perClassTable(e.metrics()));
            }
        }
        for (EvalReport.Evaluated e : targets) {
            List<EvalRecord> rs = records.get(e.target());
            if (rs != null) {
                sb.append(errorSample(e.target(), rs));
            }
        }
        return sb.append("</body></html>\n").toString();
    }

    private static String costPlot(List<EvalReport.Evaluated> ts) {
        double maxX = 0;
        List<Double> acc = new ArrayList<>();
        for (EvalReport.Evaluated e : ts) {
            maxX = Math.max(maxX, EvalReport.per1k(e.metrics().costUsd(), e.metrics().n()).doubleValue());
            acc.add(e.metrics().accuracy());
        }
        maxX = maxX == 0 ? 1 : maxX * 1.1;
        YRange yr = yRange(acc);
        StringBuilder s = axes("USD per 1k queries", "accuracy", maxX, yr);
        for (EvalReport.Evaluated e : ts) {
            double x = EvalReport.per1k(e.metrics().costUsd(), e.metrics().n()).doubleValue();
            double px = PAD + x / maxX * PLOT_W;
            double py = yr.y(e.metrics().accuracy());
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#1f77b4\"><title>%s: %s at %s USD/1k</title></circle>",
                    px, py, esc(e.target()), pct(e.metrics().accuracy()), fmt(x)));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>", px + 7, py - 4, esc(e.target())));
        }
        return s.append("</svg>\n").toString();
    }

    private static String curvePlot(List<CurvePoint> c, CurvePoint chosen) {
        List<Double> acc = new ArrayList<>(c.stream().map(CurvePoint::accuracy).toList());
        if (chosen != null) {
            acc.add(chosen.accuracy());
        }
        YRange yr = yRange(acc);
        StringBuilder s = axes("share of requests sent to the teacher", "accuracy", 1.0, yr);
        StringBuilder pts = new StringBuilder();
        for (CurvePoint p : c) {
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", PAD + p.share() * PLOT_W, yr.y(p.accuracy())));
        }
        s.append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"").append(pts.toString().strip()).append("\"/>");
        for (CurvePoint p : c) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#d62728\"><title>%s: share %s, accuracy %s</title></circle>",
                    PAD + p.share() * PLOT_W, yr.y(p.accuracy()), esc(p.label()), pct(p.share()), pct(p.accuracy())));
        }
        if (chosen != null) {
            double x = PAD + chosen.share() * PLOT_W;
            double y = yr.y(chosen.accuracy());
            String text = "operating point: " + pct(chosen.share()) + " to the teacher, accuracy " + pct(chosen.accuracy())
                    + (chosen.label() == null || chosen.label().isEmpty() ? "" : " (" + chosen.label() + ")");
            s.append(String.format(Locale.ROOT, "<g class=\"operating-point\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\" "
                            + "stroke-dasharray=\"4 3\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"#222\" stroke-width=\"2.5\">"
                            + "<title>%s</title></circle><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"%s\">%s</text></g>",
                    x, x, PAD, PAD + PLOT_H, x, y, esc(text), chosen.share() > 0.6 ? x - 10 : x + 10, y + 18,
                    chosen.share() > 0.6 ? "end" : "start", esc(text)));
        }
        return s.append("</svg>\n").toString();
    }

    /** An accuracy axis around {@code values}: their span plus a margin, snapped out to the tick step, within [0, 1]. */
    static YRange yRange(List<Double> values) {
        double min = 1;
        double max = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (min > max) { // no finite value
            return new YRange(0, 1, 0.25);
        }
        double margin = Math.max(0.02, (max - min) * Y_MARGIN);
        double lo = Math.max(0, min - margin);
        double hi = Math.min(1, max + margin);
        for (double step : TICK_STEPS) {
            double l = Math.max(0, Math.floor(lo / step + 1e-9) * step);
            double h = Math.min(1, Math.ceil(hi / step - 1e-9) * step);
            if ((h - l) / step <= MAX_TICKS + 1e-9) {
                return new YRange(l, h, step);
            }
        }
        return new YRange(0, 1, 0.25);
    }

    private static StringBuilder axes(String xLabel, String yLabel, double maxX, YRange yr) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">",
                PLOT_W + 2 * PAD, PLOT_H + 2 * PAD));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", PAD, PAD, PLOT_W, PLOT_H));
        int ticks = (int) Math.round((yr.hi() - yr.lo()) / yr.step());
        for (int i = 0; i <= ticks; i++) {
            double v = yr.lo() + i * yr.step();
            double y = yr.y(v);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", PAD, PAD + PLOT_W, y, y));
            s.append(String.format(Locale.ROOT, "<text class=\"y-tick\" x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>",
                    PAD - 4, y + 3, pct(v)));
        }
        for (int i = 0; i <= 4; i++) {
            double x = PAD + PLOT_W * i / 4.0;
            s.append(String.format(Locale.ROOT, "<text class=\"x-tick\" x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>", x,
                    PAD + PLOT_H + 14, fmt(maxX * i / 4.0)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>", PAD + PLOT_W / 2,
                PAD + PLOT_H + 32, esc(xLabel)));
        s.append(String.format(Locale.ROOT, "<text x=\"9\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 9 %d)\" text-anchor=\"middle\">%s</text>",
                PAD + PLOT_H / 2, PAD + PLOT_H / 2, esc(yLabel))); // left of the widest tick label ("100.0%")
        return s;
    }

    /** The confusion matrix: expected labels down the left, predicted labels along the top, both axes titled. */
    private static String heatmap(Metrics m) {
        List<String> labels = m.confusionLabels();
        int k = labels.size();
        int cell = Math.max(10, Math.min(28, 640 / k));
        int font = Math.min(11, cell - 1);
        int longest = 0;
        for (String l : labels) {
            longest = Math.max(longest, Math.min(LABEL_CHARS, l.length()));
        }
        int labelSpace = 16 + (int) Math.ceil(longest * font * 0.62); // about a system font's average glyph width
        int left = 18 + labelSpace; // axis title, then the row labels
        int top = 18 + labelSpace; // axis title, then the rotated column labels
        int max = 1;
        for (int[] r : m.confusion()) {
            for (int x : r) {
                max = Math.max(max, x);
            }
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<p>Rows: expected label, columns: predicted (last column: %s). Hover a cell for its counts.</p>"
                + "<svg class=\"confusion\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">", esc(Scoring.INVALID), left + k * cell + 8,
                top + k * cell + 8));
        s.append(String.format(Locale.ROOT, "<text class=\"axis-title\" x=\"%d\" y=\"12\" font-size=\"12\" text-anchor=\"middle\">predicted</text>",
                left + k * cell / 2));
        s.append(String.format(Locale.ROOT, "<text class=\"axis-title\" x=\"12\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 12 %d)\">"
                + "expected</text>", top + k * cell / 2, top + k * cell / 2));
        for (int i = 0; i < k; i++) {
            String name = esc(shorten(labels.get(i), LABEL_CHARS));
            double mid = i * cell + cell / 2.0 + font / 3.0;
            s.append(String.format(Locale.ROOT, "<text class=\"row-label\" x=\"%d\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"end\">%s<title>%s</title></text>",
                    left - 4, top + mid, font, name, esc(labels.get(i))));
            double cx = left + i * cell + cell / 2.0 + font / 3.0;
            s.append(String.format(Locale.ROOT, "<text class=\"col-label\" x=\"%.1f\" y=\"%d\" font-size=\"%d\" text-anchor=\"start\" "
                    + "transform=\"rotate(-90 %.1f %d)\">%s<title>%s</title></text>", cx, top - 4, font, cx, top - 4, name, esc(labels.get(i))));
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>", left, top, k * cell, k * cell));
        for (int g = 0; g < k; g++) {
            for (int p = 0; p < k; p++) {
                int v = m.confusion()[g][p];
                if (v == 0) {
                    continue; // empty cells are the background: keeps a 77-label report small
                }
                double t = 0.15 + 0.85 * v / max;
                String color = g == p ? String.format(Locale.ROOT, "rgba(31,119,180,%.3f)", t) : String.format(Locale.ROOT, "rgba(214,39,40,%.3f)", t);
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#f4f4f4\"><title>%s → %s: %d</title></rect>",
                        left + p * cell, top + g * cell, cell, cell, color, esc(labels.get(g)), esc(labels.get(p)), v));
            }
        }
        return s.append("</svg>\n").toString();
    }

    private static String perClassTable(Metrics m) {
        StringBuilder s = new StringBuilder("<table class=\"per-class\"" + TABLE + "><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n");
        for (Metrics.ClassStats c : m.perClass()) {
            s.append("<tr><td>").append(esc(c.label())).append("</td><td>").append(fmt3(c.precision())).append("</td><td>").append(fmt3(c.recall()))
                    .append("</td><td>").append(fmt3(c.f1())).append("</td><td>").append(c.support()).append("</td></tr>\n");
        }
        return s.append("</table>\n").toString();
    }

    /** The first {@link #ERROR_SAMPLE} wrong answers in data order: id, input, expected, predicted (or the failure). */
    private static String errorSample(String target, List<EvalRecord> rs) {
        List<EvalRecord> wrong = rs.stream().filter(r -> !r.correct()).toList();
        StringBuilder s = new StringBuilder("<h2>Errors: ").append(esc(target)).append("</h2>\n");
        if (wrong.isEmpty()) {
            return s.append("<p>No errors in ").append(rs.size()).append(" examples.</p>\n").toString();
        }
        int shown = Math.min(ERROR_SAMPLE, wrong.size());
        s.append("<p>").append(shown == wrong.size() ? "All " + wrong.size() : "The first " + shown + " of " + wrong.size())
                .append(" wrong answers, in data order.</p>\n<table class=\"errors\"" + TABLE + "><tr><th>id</th><th>input</th><th>expected</th><th>predicted</th></tr>\n");
        for (EvalRecord r : wrong.subList(0, shown)) {
            String predicted = r.error() != null ? "error: " + r.error()
                    : r.predicted() != null && !r.predicted().isEmpty() ? r.predicted() : r.answer();
            s.append("<tr><td>").append(esc(r.id())).append("</td><td>").append(esc(shorten(r.input(), TEXT_CHARS))).append("</td><td>")
                    .append(esc(shorten(r.expected(), TEXT_CHARS))).append("</td><td>").append(esc(shorten(predicted, TEXT_CHARS))).append("</td></tr>\n");
        }
        return s.append("</table>\n").toString();
    }

    private static String shorten(String s, int chars) {
        if (s == null || s.length() <= chars) {
            return s == null ? "" : s;
        }
        int end = Character.isHighSurrogate(s.charAt(chars - 1)) ? chars - 1 : chars; // never split a surrogate pair
        return s.substring(0, end) + "…";
    }

    static String pct(double x) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }

    private static String fmt3(double x) {
        return String.format(Locale.ROOT, "%.3f", x);
    }

    static String fmt(double x) {
        return String.format(Locale.ROOT, x != 0 && Math.abs(x) < 0.01 ? "%.4g" : "%.2f", x);
    }

    /** Text made safe for element content and quoted attribute values. */
    static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }
}
