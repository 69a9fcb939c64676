package dev.smelt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.distill.DistillOutput;
import dev.smelt.task.TaskSpec;
import dev.smelt.eval.EvalRecord;
import dev.smelt.eval.EvalReport;
import dev.smelt.eval.HtmlReport;
import dev.smelt.eval.Metrics;
import dev.smelt.router.RouteEval;
import dev.smelt.router.Router;
import dev.smelt.router.RouterConfig;
import dev.smelt.router.RoutingCurve;
import dev.smelt.router.ShareController;
import java.util.Locale;
import java.util.function.Consumer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt route-eval}: a router's accuracy, teacher share, routing curve (APGR, CPT) and cost on labelled data. */
@Command(name = "route-eval", description = "Evaluate a router file on labelled data: accuracy, teacher_share, APGR, CPT(50%%/80%%), cost.")
final class RouteEvalCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ThreadsOption threads; // the built-in sentence encoders' threads

    @Option(names = "--router", required = true, description = "Router file (YAML/JSON).")
    Path router;

    @Option(names = "--data", required = true, description = "Labelled test examples (.jsonl/.csv).")
    Path data;

    @Option(names = "--task", description = "Task spec (default: the router file's 'task').")
    Path task;

    @Option(names = "--calibrate-share", description = "Teacher budget: start from the threshold that sends this share of the calibration data "
            + "to the strong target, then hold the share online over every window of requests (see --mode).")
    Double share;

    @Option(names = "--mode", description = "budget: hold the teacher share over every window, adjusting the threshold online (default); "
            + "quality: keep the calibrated threshold and let the share float. Default: the router file's 'mode', else budget.")
    String mode;

    @Option(names = "--calibration-data", description = "Labelled data to calibrate on (default: the test data, reported as such).")
    Path calibrationData;

    @Option(names = "--limit", description = "Only the first N examples.")
    Integer limit;

    @Option(names = "--concurrency", defaultValue = "8", description = "Examples in flight for thread-safe targets (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--out", description = "Folder for report.html and predictions.")
    Path out;

    @Option(names = "--json", description = "Print one compact JSON line (default: pretty).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        TaskSpec spec = Playbook.task(task, router);
        List<DataFile.Row> rows = limit(DataFile.read(data, spec.inputField(), spec.labelField(), true));
        ShareController.Mode m = mode == null ? null : ShareController.Mode.parse(mode, "--mode");
        RouterConfig cfg = RouterConfig.load(router);
        try (Router r = Playbook.router(router, spec, threads.count())) {
            Double threshold = null;
            String calibratedOn = null;
            ShareController controller = null;
            Consumer<ShareController.Adjustment> log = a -> System.err.printf(Locale.ROOT,
                    "route-eval: teacher-share threshold %.4f -> %.4f after %d requests (last window %.3f)%n", a.from(), a.to(), a.request(), a.windowShare());
            if (share != null) {
                List<DataFile.Row> cal = calibrationData != null ? limit(DataFile.read(calibrationData, spec.inputField(), spec.labelField(), true)) : rows;
                threshold = RouteEval.calibrate(r, spec, cal, share, concurrency, System.err::println);
                calibratedOn = calibrationData != null ? calibrationData.toString() : "the test data";
                controller = cfg.controller(share, threshold, m, log);
            } else if (cfg.budgetShare() != null) {
                controller = cfg.controller(cfg.budgetShare(), r.policy().threshold(), m, log);
            } else if (m != null) {
                throw new IllegalArgumentException("--mode needs a teacher budget: --calibrate-share, or budget_share in " + router);
            }
            RouteEval.Result res = RouteEval.run(r, spec, rows, threshold, controller, concurrency, System.err::println);
            ObjectNode o = RouteEval.json(res);
            if (calibratedOn != null) {
                o.put("calibrated_share", share).put("calibrated_on", calibratedOn);
            }
            if (out != null) {
                write(out, "smelt route-eval: " + router.getFileName(), res, spec);
            }
            System.out.println(json ? o.toString() : Canonical.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
        }
        return 0;
    }

    private List<DataFile.Row> limit(List<DataFile.Row> rows) {
        if (limit == null) {
            return rows;
        }
        if (limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        }
        return rows.subList(0, Math.min(limit, rows.size()));
    }

    /** report.html (weak, strong, router and the routing curve) and predictions-router.jsonl in {@code out}. */
    static void write(Path out, String title, RouteEval.Result res, TaskSpec spec) throws Exception {
        Files.createDirectories(out);
        List<EvalRecord> weak = new ArrayList<>();
        List<EvalRecord> strong = new ArrayList<>();
        List<EvalRecord> routed = new ArrayList<>();
        for (int i = 0; i < res.n(); i++) {
            RouteEval.Row row = res.rows().get(i);
            weak.add(row.weak());
            strong.add(row.strong());
            routed.add(res.toStrong()[i] ? row.strong() : row.weak());
        }
        List<EvalReport.Evaluated> ev = List.of(
                new EvalReport.Evaluated(res.policy().weak(), spec.name(), spec.metric(), Metrics.of(weak, spec.labels())),
                new EvalReport.Evaluated(res.policy().strong(), spec.name(), spec.metric(), Metrics.of(strong, spec.labels())),
                new EvalReport.Evaluated("router", spec.name(), spec.metric(), Metrics.of(routed, spec.labels())));
        List<HtmlReport.CurvePoint> curve = new ArrayList<>();
        for (RoutingCurve.Point p : RouteEval.downsample(res.curve().points())) {
            curve.add(new HtmlReport.CurvePoint(p.share(), p.quality(), "threshold " + p.threshold()));
        }
        java.util.Map<String, List<EvalRecord>> records = new java.util.LinkedHashMap<>();
        records.put(res.policy().weak(), weak);
        records.put(res.policy().strong(), strong);
        records.put("router", routed);
        HtmlReport.CurvePoint chosen = new HtmlReport.CurvePoint(res.teacherShare(), res.accuracy(),
                Double.isFinite(res.threshold()) ? "threshold " + res.threshold() : "");
        DistillOutput.atomicWrite(out.resolve("report.html"), HtmlReport.render(title, ev, records, curve, chosen));
        DistillOutput.atomicWrite(out.resolve("predictions-router.jsonl"), EvalReport.predictions(routed));
    }
}
