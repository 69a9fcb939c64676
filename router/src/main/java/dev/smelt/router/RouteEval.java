package dev.smelt.router;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import dev.smelt.eval.EvalRecord;
import dev.smelt.eval.EvalRunner;
import dev.smelt.eval.Query;
import dev.smelt.eval.Target;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * Evaluates a two-target router on labelled data: both targets answer every example (the teacher's
 * answers come from its cache on reruns), the policy scores each example, and the router's outcome
 * at its threshold (or at a threshold calibrated to a target share of teacher calls) is read off the
 * same answers: exactly what {@link Router} does with them, since its policies route on
 * "score ≥ threshold". Reports accuracy, teacher share, the routing curve with PGR/APGR/CPT, the
 * routed cost vs always calling the teacher, and the policy's decision time. Stateless.
 */
public final class RouteEval {
    /** Curve points kept in the JSON and the HTML plot. */
    static final int CURVE_POINTS = 101;

    private RouteEval() {
    }

    /** Per-example outcome. */
    public record Row(EvalRecord weak, EvalRecord strong, double score, double decisionMs) {
    }

    /**
     * An evaluation replayed through a {@link ShareController} in data order: its decisions, and those of the fixed
     * (calibrated) threshold it started from, for comparison.
     */
    public record Controlled(ShareController controller, boolean[] fixedToStrong) {
    }

    /** The evaluation; {@code controlled} is null when routing at a fixed threshold. */
    public record Result(Policy policy, double threshold, List<Row> rows, boolean[] toStrong, RoutingCurve curve, Controlled controlled) {
        public Result(Policy policy, double threshold, List<Row> rows, boolean[] toStrong, RoutingCurve curve) {
            this(policy, threshold, rows, toStrong, curve, null);
        }

        /** Accuracy of routing by {@code strong} decisions. */
        public double accuracy(boolean[] strong) {
            int c = 0;
            for (int i = 0; i < rows.size(); i++) {
                c += (strong[i] ? rows.get(i).strong() : rows.get(i).weak()).correct() ? 1 : 0;
            }
            return (double) c / rows.size();
        }

        public static double share(boolean[] strong) {
            int s = 0;
            for (boolean b : strong) {
                s += b ? 1 : 0;
            }
            return strong.length == 0 ? 0 : (double) s / strong.length;
        }

        public int n() {
            return rows.size();
        }

        public double accuracy() {
            return accuracy(toStrong);
        }

        public double teacherShare() {
            return share(toStrong);
        }

        /** Cost of the routed system: teacher answers where routed there, plus the weak target's (all of it for cascades). */
        public BigDecimal routedCost() {
            BigDecimal c = BigDecimal.ZERO;
            for (int i = 0; i < rows.size(); i++) {
                if (toStrong[i]) {
                    c = c.add(rows.get(i).strong().costUsd());
                }
                if (!toStrong[i] || policy.needsWeakAnswer()) {
                    c = c.add(rows.get(i).weak().costUsd());
                }
            }
            return c;
        }

        public BigDecimal teacherOnlyCost() {
            return rows.stream().map(r -> r.strong().costUsd()).reduce(BigDecimal.ZERO, BigDecimal::add);
        }
    }

    /**
     * The threshold that sends {@code share} of {@code data} to the strong target (threshold calibration;
     * use data other than the test set). Runs the weak target only when the policy needs its answers.
     */
    public static double calibrate(Router router, TaskSpec task, List<DataFile.Row> data, double share, int concurrency,
                                   Consumer<String> progress) throws InterruptedException {
        Policy p = router.policy();
        List<EvalRecord> w = p.needsWeakAnswer() ? EvalRunner.run(router.targets().get(p.weak()), task, data, concurrency, progress)
                : data.stream().map(r -> new EvalRecord(Integer.toString(r.line()), r.input().strip(), r.label(), "", "", false, 0, false,
                        p.weak(), 0, 0, 0, BigDecimal.ZERO, Double.NaN, null)).toList();
        double[] score = new double[data.size()];
        scoreAll(p, task, data, w, score, new double[data.size()], concurrency);
        return RoutingCurve.thresholdForShare(score, share);
    }

    /** @param threshold routing threshold to report at, or null for the policy's own */
    public static Result run(Router router, TaskSpec task, List<DataFile.Row> data, Double threshold, int concurrency,
                             Consumer<String> progress) throws InterruptedException {
        return run(router, task, data, threshold, null, concurrency, progress);
    }

    /**
     * @param threshold  routing threshold to report at (the controller's starting point), or null for the policy's own
     * @param controller when not null, decides in data order as the router would online (a fresh one: it keeps state)
     */
    public static Result run(Router router, TaskSpec task, List<DataFile.Row> data, Double threshold, ShareController controller,
                             int concurrency, Consumer<String> progress) throws InterruptedException {
        Policy p = router.policy();
        Target weak = router.targets().get(p.weak());
        Target strong = router.targets().get(p.strong());
        progress.accept("route-eval: weak target " + p.weak());
        List<EvalRecord> w = EvalRunner.run(weak, task, data, concurrency, progress);
        progress.accept("route-eval: strong target " + p.strong());
        List<EvalRecord> s = EvalRunner.run(strong, task, data, concurrency, progress);
        double[] score = new double[data.size()];
        double[] ms = new double[data.size()];
        scoreAll(p, task, data, w, score, ms, concurrency);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            rows.add(new Row(w.get(i), s.get(i), score[i], ms[i]));
        }
        double t = threshold != null ? threshold : p.threshold();
        Policy used = threshold != null ? p.withThreshold(t) : p;
        boolean[] toStrong = new boolean[data.size()];
        for (int i = 0; i < toStrong.length; i++) {
            toStrong[i] = score[i] >= t;
        }
        double[] wq = w.stream().mapToDouble(r -> r.correct() ? 1 : 0).toArray();
        double[] sq = s.stream().mapToDouble(r -> r.correct() ? 1 : 0).toArray();
        RoutingCurve curve = RoutingCurve.of(wq, sq, score);
        if (controller == null) {
            return new Result(used, t, rows, toStrong, curve);
        }
        boolean[] online = new boolean[data.size()];
        for (int i = 0; i < online.length; i++) {
            online[i] = controller.decide(score[i]);
        }
        return new Result(used, t, rows, online, curve, new Controlled(controller, toStrong));
    }

    private static void scoreAll(Policy p, TaskSpec task, List<DataFile.Row> data, List<EvalRecord> w, double[] score, double[] ms, int conc)
            throws InterruptedException {
        Semaphore gate = new Semaphore(Math.max(1, conc));
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                int idx = i;
                fs.add(ex.submit(() -> {
                    gate.acquire();
                    try {
                        Query q = Query.of(task, w.get(idx).id(), data.get(idx).input().strip());
                        EvalRecord r = w.get(idx);
                        var a = new dev.smelt.eval.Answer(r.answer() == null ? "" : r.answer(), r.answeredBy(), r.confidence(), r.inputTokens(),
                                r.outputTokens(), r.costUsd(), 0, false, List.of());
                        long t0 = System.nanoTime();
                        score[idx] = p.score(q, a);
                        ms[idx] = (System.nanoTime() - t0) / 1e6;
                    } finally {
                        gate.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("routing score failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    public static ObjectNode json(Result r) {
        ObjectNode o = Canonical.JSON.createObjectNode();
        double[] ms = r.rows().stream().mapToDouble(Row::decisionMs).sorted().toArray();
        o.put("policy", r.policy().getClass().getSimpleName().replace("Policy", "").toLowerCase(java.util.Locale.ROOT))
                .put("weak", r.policy().weak()).put("strong", r.policy().strong()).put("n", r.n());
        putNum(o, "threshold", r.threshold());
        o.put("accuracy", r.accuracy()).put("teacher_share", r.teacherShare());
        if (r.controlled() != null) {
            budget(o, r);
        }
        RoutingCurve c = r.curve();
        putNum(o, "apgr", c.apgr());
        putNum(o, "cpt50", c.cpt(0.5));
        putNum(o, "cpt80", c.cpt(0.8));
        o.put("weak_accuracy", c.weakQuality()).put("strong_accuracy", c.strongQuality());
        putNum(o, "pgr", c.strongQuality() > c.weakQuality() ? (r.accuracy() - c.weakQuality()) / (c.strongQuality() - c.weakQuality()) : Double.NaN);
        BigDecimal routed = r.routedCost();
        BigDecimal teacher = r.teacherOnlyCost();
        o.put("cost_usd", routed).put("teacher_only_cost_usd", teacher);
        if (teacher.signum() > 0) {
            o.put("cost_saving", BigDecimal.ONE.subtract(routed.divide(teacher, 6, RoundingMode.HALF_EVEN)));
        }
        o.put("decision_ms_p50", pct(ms, 50)).put("decision_ms_p95", pct(ms, 95));
        var arr = o.putArray("curve");
        for (RoutingCurve.Point pt : downsample(c.points())) {
            ObjectNode x = arr.addObject();
            putNum(x, "threshold", pt.threshold());
            x.put("share", pt.share()).put("accuracy", pt.quality());
            putNum(x, "pgr", pt.pgr());
        }
        return o;
    }

    /** Points of the realized-share curve: one per this many requests. */
    static final int SHARE_CURVE_POINTS = 50;

    /** The controller's report: target, mode, realized share (overall and worst window), the fixed threshold's outcome, adjustments, share curve. */
    private static void budget(ObjectNode o, Result r) {
        ShareController c = r.controlled().controller();
        boolean[] fixed = r.controlled().fixedToStrong();
        o.put("mode", c.mode().name().toLowerCase(java.util.Locale.ROOT)).put("target_share", c.target()).put("window", c.window())
                .put("max_window_share", ShareController.maxWindowShare(r.toStrong(), c.window()))
                .put("fixed_threshold_accuracy", r.accuracy(fixed)).put("fixed_threshold_teacher_share", Result.share(fixed))
                .put("fixed_threshold_max_window_share", ShareController.maxWindowShare(fixed, c.window()));
        putNum(o, "final_threshold", c.threshold());
        var adj = o.putArray("adjustments");
        for (ShareController.Adjustment a : c.adjustments()) {
            ObjectNode x = adj.addObject().put("request", a.request());
            putNum(x, "from", a.from());
            putNum(x, "to", a.to());
            x.put("window_share", a.windowShare());
        }
        var curve = o.putArray("share_curve"); // realized share of the teacher over the last window, along the stream
        boolean[] s = r.toStrong();
        int step = Math.max(1, s.length / SHARE_CURVE_POINTS);
        int in = 0;
        for (int i = 0; i < s.length; i++) {
            in += s[i] ? 1 : 0;
            if (i >= c.window()) {
                in -= s[i - c.window()] ? 1 : 0;
            }
            if ((i + 1) % step == 0 || i == s.length - 1) {
                curve.addObject().put("request", i + 1).put("window_share", (double) in / Math.min(i + 1, c.window()));
            }
        }
    }

    /** At most {@link #CURVE_POINTS} points: for each share on an even grid, the last point at or below it. */
    public static List<RoutingCurve.Point> downsample(List<RoutingCurve.Point> pts) {
        if (pts.size() <= CURVE_POINTS) {
            return pts;
        }
        List<RoutingCurve.Point> out = new ArrayList<>();
        int j = 0;
        for (int g = 0; g < CURVE_POINTS; g++) {
            double share = (double) g / (CURVE_POINTS - 1);
            while (j + 1 < pts.size() && pts.get(j + 1).share() <= share + 1e-12) {
                j++;
            }
            if (out.isEmpty() || out.getLast() != pts.get(j)) {
                out.add(pts.get(j));
            }
        }
        if (out.getLast() != pts.getLast()) {
            out.add(pts.getLast());
        }
        return out;
    }

    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void putNum(ObjectNode o, String k, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(k);
        } else {
            o.put(k, v);
        }
    }
}
