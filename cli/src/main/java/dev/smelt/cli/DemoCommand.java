package dev.smelt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.distill.DistillOutput;
import dev.smelt.distill.Distiller;
import dev.smelt.client.Prices;
import dev.smelt.task.ReplayTeacher;
import dev.smelt.task.TaskSpec;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherConfig;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.EvalRecord;
import dev.smelt.eval.EvalReport;
import dev.smelt.eval.Metrics;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.train.classify.LogisticTrainer;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.router.RouteEval;
import dev.smelt.router.Router;
import dev.smelt.router.RouterServer;
import dev.smelt.server.http.HttpSettings;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code smelt demo}: the playbook end to end, offline, on the shipped Banking77: the replay teacher
 * STAND-IN on loopback → distill train.csv through it over HTTP → classifier on the embedded MiniLM →
 * cascade router (classifier first, teacher on low confidence) calibrated to a teacher share on a split
 * held out from the distilled data → evaluated on test.csv → served as an OpenAI-compatible endpoint
 * and asked one question. Progress goes to stderr; stdout gets one JSON line with the numbers.
 * Not thread-safe (picocli runs one instance once).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the whole playbook offline on Banking77 (distill, classify-train, eval, route, serve); "
        + "ends with one JSON line of the routed system's numbers.")
final class DemoCommand implements Callable<Integer> {
    /** Stand-in prices (USD per 1M tokens, gpt-4o-mini's list price) so the cost columns mean something. */
    static final String PRICE_IN = "0.15";
    static final String PRICE_OUT = "0.60";

    @Option(names = "--work", description = "Folder for everything the demo writes (default: a new temp folder, kept).")
    Path work;

    @Option(names = "--dataset", defaultValue = "examples/banking77", description = "Folder with task.yaml, train.csv, test.csv (default ${DEFAULT-VALUE}).")
    Path dataset;

    @Option(names = "--port", description = "Router endpoint port on 127.0.0.1 (0 = any free port; default 8081 with --serve, else any free port).")
    Integer port;

    @Option(names = "--serve", description = "Keep the router endpoint (and the stand-in) running until Ctrl-C.")
    boolean serve;

    @Option(names = "--teacher-share", defaultValue = "0.25", description = "Share of requests the router sends to the teacher (default ${DEFAULT-VALUE}).")
    double teacherShare;

    @Option(names = "--calibration-fraction", defaultValue = "0.1",
            description = "Share of the distilled data held out (not trained on) to calibrate the router (default ${DEFAULT-VALUE}).")
    double calibrationFraction;

    @Option(names = "--limit", description = "Use a seeded random sample of N train and N test examples (quick runs).")
    Integer limit;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the sampling and the split (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        validate();
        long t0 = System.nanoTime();
        Path dir = workDir();
        Path taskFile = dataset.resolve("task.yaml");
        TaskSpec spec = TaskSpec.load(taskFile);
        List<DataFile.Row> train = sample(DataFile.read(dataset.resolve("train.csv"), spec.inputField(), spec.labelField(), true), seed);
        List<DataFile.Row> test = sample(DataFile.read(dataset.resolve("test.csv"), spec.inputField(), spec.labelField(), true), seed + 1);
        List<DataFile.Row> all = new ArrayList<>(train);
        all.addAll(test);
        Phases ph = new Phases();
        try (ReplayTeacher stand = new ReplayTeacher(all, "127.0.0.1", 0)) {
            say("teacher: STAND-IN at " + stand.url() + " replaying the labels of " + dataset + "/{train,test}.csv ("
                    + stand.size() + " inputs). It is not a model: it looks the answer up. For a real teacher run "
                    + "`smelt distill --teacher URL --model M --api-key-env KEY ...` and put {type: openai, url, model, api_key_env} "
                    + "as 'teacher' in " + dir.resolve("router.yaml") + ".");
            distill(spec, train, stand.url(), dir.resolve("distill"), taskFile);
            ph.mark("distill_seconds");
            List<DataFile.Row> cal = trainClassifier(dir);
            ph.mark("classify_train_seconds");
            Path routerFile = writeRouter(dir, taskFile, stand.url(), 0.5);
            ObjectNode out;
            try (Router r = Playbook.router(routerFile, spec, threads.count())) {
                double th = RouteEval.calibrate(r, spec, cal, teacherShare, 8, DemoCommand::say);
                ph.mark("calibrate_seconds");
                // the share is a budget: start at the calibrated threshold, hold the share online over the test stream
                var controller = dev.smelt.router.RouterConfig.load(routerFile).controller(teacherShare, th, null,
                        a -> say(String.format(java.util.Locale.ROOT, "budget: threshold %.4f -> %.4f after %d requests (last window %.3f)",
                                a.from(), a.to(), a.request(), a.windowShare())));
                RouteEval.Result res = RouteEval.run(r, spec, test, th, controller, 8, DemoCommand::say);
                ph.mark("route_eval_seconds");
                out = report(dir, spec, res);
                writeRouter(dir, taskFile, stand.url(), 1 - th); // the calibrated router, for `smelt route`
            }
            try (Router r = Playbook.router(routerFile, spec, threads.count()); RouterServer s = new RouterServer(r,
                    HttpSettings.local(port != null ? port : serve ? 8081 : 0), RouterServer.defaultName(routerFile), java.time.Clock.systemUTC())) {
                int p = s.start();
                String url = "http://127.0.0.1:" + p + "/v1";
                JsonNode reply = ask(url, test.getFirst().input());
                ph.mark("serve_check_seconds");
                say("router endpoint: " + url + "/chat/completions (metrics: http://127.0.0.1:" + p + "/metrics)"
                        + (serve ? "" : "; checked with one request and stopped with the demo (--serve keeps it running)"));
                say("asked \"" + test.getFirst().input() + "\": answered '" + reply.path("choices").path(0).path("message").path("content").asText()
                        + "' by " + reply.path("smelt").path("target").asText());
                say("report: " + dir.resolve("eval/report.html") + " (result.json beside it); router file: " + routerFile);
                if (serve) {
                    out.put("router_url", url); // only while it answers: without --serve it stops when the demo ends
                } else {
                    out.put("router_endpoint", "stopped");
                }
                out.put("router_answered_by", reply.path("smelt").path("target").asText())
                        .put("seconds", (System.nanoTime() - t0) / 1e9).set("phases", ph.json);
                System.out.println(out);
                System.out.flush();
                if (serve) {
                    say("serving until Ctrl-C; try: curl " + url + "/chat/completions -H 'Content-Type: application/json' "
                            + "-d '{\"messages\":[{\"role\":\"user\",\"content\":\"my card has not arrived\"}]}'");
                    say("the teacher is the replay stand-in: a question outside " + dataset + " that the classifier is unsure of gets "
                            + "the classifier's answer marked \"smelt\": {\"unavailable\": [\"teacher\"], \"warning\": \"teacher unavailable ...\"} "
                            + "(header X-Smelt-Unavailable)");
                    CountDownLatch forever = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                    forever.await();
                }
            }
        }
        return 0;
    }

    private void validate() {
        if (!(teacherShare >= 0 && teacherShare <= 1)) {
            throw new IllegalArgumentException("--teacher-share must be in [0, 1], got " + teacherShare);
        }
        if (!(calibrationFraction > 0 && calibrationFraction < 1)) {
            throw new IllegalArgumentException("--calibration-fraction must be in (0, 1), got " + calibrationFraction);
        }
        if (limit != null && limit < 20) {
            throw new IllegalArgumentException("--limit must be >= 20 (enough to train, calibrate and test), got " + limit);
        }
        if (port != null && (port < 0 || port > 65535)) {
            throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        }
        threads.count(); // checks --threads before anything runs
        if (!Files.isRegularFile(dataset.resolve("task.yaml"))) {
            throw new IllegalArgumentException("--dataset " + dataset + ": no task.yaml there (run from the smelt checkout, or give --dataset examples/banking77)");
        }
    }

    private Path workDir() {
        try {
            Path d = work != null ? work : Files.createTempDirectory("smelt-demo-");
            Files.createDirectories(d);
            Path probe = Files.createTempFile(d, ".probe", ".tmp");
            Files.delete(probe);
            say("work folder: " + d.toAbsolutePath() + (work == null ? " (a new temp folder; kept)" : ""));
            return d;
        } catch (IOException e) {
            throw new IllegalArgumentException("--work " + (work != null ? work : "(temp folder)") + ": cannot create or write there ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private List<DataFile.Row> sample(List<DataFile.Row> rows, long s) {
        if (limit == null || rows.size() <= limit) {
            return rows;
        }
        List<DataFile.Row> c = new ArrayList<>(rows);
        Collections.shuffle(c, new Random(s));
        return List.copyOf(c.subList(0, limit));
    }

    /** (b) distill the train inputs (labels withheld) through the teacher over HTTP: training data, report, data card, cache. */
    private void distill(TaskSpec spec, List<DataFile.Row> train, String url, Path out, Path taskFile) throws Exception {
        List<DataFile.Row> inputs = train.stream().map(r -> new DataFile.Row(r.line(), r.input(), null)).toList();
        Prices prices = new Prices(new BigDecimal(PRICE_IN), new BigDecimal(PRICE_OUT));
        TeacherConfig cfg = TeacherConfig.of(url, ReplayTeacher.MODEL).withLimits(8, 0, 0).withPrices(prices).withCache(out.resolve("teacher-cache.jsonl"));
        say("distill: " + inputs.size() + " inputs through the teacher into " + out);
        Files.createDirectories(out);
        try (TeacherClient client = new TeacherClient(cfg, Playbook.http(), TimeSource.SYSTEM, System::getenv)) {
            Distiller.Result r = Distiller.run(spec, inputs, client, DemoCommand::say);
            DistillOutput.write(out, spec, r, new DistillOutput.Source(dataset.resolve("train.csv"), taskFile, url, cfg.model(), prices, Instant.now()));
            say("distill: kept " + r.kept().size() + " of " + r.inputs() + " (" + r.dropped().size() + " dropped), teacher cost "
                    + r.cost().costUsd().stripTrailingZeros().toPlainString() + " USD");
        }
    }

    /** (c) split the distilled data into train / calibration, train the head on MiniLM embeddings; returns the calibration rows. */
    private List<DataFile.Row> trainClassifier(Path dir) throws Exception {
        List<DataFile.Row> rows = new ArrayList<>(DataFile.read(dir.resolve("distill/classify.jsonl"), "text", "label", true));
        Collections.shuffle(rows, new Random(seed));
        int nCal = Math.max(1, (int) Math.round(rows.size() * calibrationFraction));
        List<DataFile.Row> cal = List.copyOf(rows.subList(0, nCal));
        Path split = Files.createDirectories(dir.resolve("split"));
        DistillOutput.atomicWrite(split.resolve("calibration.jsonl"), jsonl(cal));
        DistillOutput.atomicWrite(split.resolve("train.jsonl"), jsonl(rows.subList(nCal, rows.size())));
        LabeledTexts data = LabeledTexts.read(split.resolve("train.jsonl"), "text", "label");
        int n = threads.count();
        // threshold 0: the classifier always names a label; the cascade decides what is too unsure
        LogisticTrainer.Options opt = new LogisticTrainer.Options(0.1, 200, 8, 64, 3e-3, 1e-4, seed, dev.smelt.model.classify.Abstention.none());
        say("classify-train: " + data.texts().size() + " examples on " + Embedders.DEFAULT + " (" + nCal + " held out for calibration)");
        try (BertEmbedder e = Embedders.open(Embedders.DEFAULT, n)) {
            float[][] x = ClassifierRuns.embedAll(e, data.texts(), "embedding");
            SoftmaxClassifier head = new LogisticTrainer(opt, ep -> { }).train(Embedders.DEFAULT, x, data.labels());
            head.save(dir.resolve("classifier"));
        }
        return cal;
    }

    private static String jsonl(List<DataFile.Row> rows) {
        StringBuilder sb = new StringBuilder();
        for (DataFile.Row r : rows) {
            sb.append(Canonical.JSON.createObjectNode().put("text", r.input()).put("label", r.label())).append('\n');
        }
        return sb.toString();
    }

    private Path writeRouter(Path dir, Path taskFile, String teacherUrl, double minConfidence) throws IOException {
        int n = threads.count();
        String yaml = "# written by smelt demo. The teacher is the demo's replay STAND-IN, listening only while `smelt demo` runs\n"
                + "# (--serve keeps it up): replace url/model/api_key_env by a real endpoint, or use {type: replay, data: test.csv}.\n"
                + "task: '" + taskFile.toAbsolutePath() + "'\n"
                + "targets:\n"
                + "  classifier: {type: classifier, path: classifier, threads: " + n + "}\n"
                + "  teacher: {type: openai, url: '" + teacherUrl + "', model: " + ReplayTeacher.MODEL + ", price_in: " + PRICE_IN
                + ", price_out: " + PRICE_OUT + ", cache: teacher-cache.jsonl}\n"
                + "policy: {type: cascade, weak: classifier, strong: teacher, min_confidence: " + minConfidence + "}\n"
                + "fallbacks: [teacher]\n"
                + "budget_share: " + teacherShare + "   # held over every window of budget_window requests; mode: quality keeps the threshold instead\n";
        Path f = dir.resolve("router.yaml");
        DistillOutput.atomicWrite(f, yaml);
        return f;
    }

    /** (d) eval/result.json, eval/report.html, route-eval.json; returns the JSON line. */
    private ObjectNode report(Path dir, TaskSpec spec, RouteEval.Result res) throws Exception {
        Path ev = Files.createDirectories(dir.resolve("eval"));
        RouteEvalCommand.write(ev, "smelt demo: " + spec.name() + " (teacher = replay stand-in)", res, spec);
        List<EvalRecord> weak = res.rows().stream().map(RouteEval.Row::weak).toList();
        List<EvalRecord> strong = res.rows().stream().map(RouteEval.Row::strong).toList();
        ObjectNode result = Canonical.JSON.createObjectNode().put("task", spec.name()).put("metric", spec.metric()).put("n", res.n());
        var arr = result.putArray("results");
        arr.add(EvalReport.json(new EvalReport.Evaluated("classifier", spec.name(), spec.metric(), Metrics.of(weak, spec.labels())), true));
        arr.add(EvalReport.json(new EvalReport.Evaluated("teacher", spec.name(), spec.metric(), Metrics.of(strong, spec.labels())), true));
        ObjectNode routed = RouteEval.json(res);
        routed.put("calibrated_share", teacherShare).put("calibrated_on", dir.resolve("split/calibration.jsonl").toString());
        result.set("router", routed);
        DistillOutput.atomicWrite(ev.resolve("result.json"), Canonical.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
        ObjectNode o = Canonical.JSON.createObjectNode();
        for (String k : List.of("n", "accuracy", "teacher_share", "apgr", "cpt50", "cpt80")) {
            o.set(k, routed.get(k));
        }
        if (Double.isFinite(res.threshold())) { // the router file's own name and value: one number, one name
            o.put("min_confidence", 1 - res.threshold());
        }
        o.set("classifier_accuracy", routed.get("weak_accuracy"));
        o.set("teacher_accuracy", routed.get("strong_accuracy"));
        for (String k : List.of("cost_usd", "teacher_only_cost_usd", "cost_saving")) {
            if (routed.has(k)) {
                o.set(k, routed.get(k));
            }
        }
        o.put("work", dir.toAbsolutePath().toString()).put("report", ev.resolve("report.html").toAbsolutePath().toString());
        say(String.format(java.util.Locale.ROOT, "routed: accuracy %.4f with %.1f%% teacher calls (classifier alone %.4f, teacher %.4f), APGR %s",
                res.accuracy(), 100 * res.teacherShare(), routed.get("weak_accuracy").asDouble(), routed.get("strong_accuracy").asDouble(), routed.get("apgr")));
        return o;
    }

    /** (f) one real chat request through the router endpoint. */
    private static JsonNode ask(String url, String question) throws Exception {
        String body = Canonical.JSON.createObjectNode().set("messages", Canonical.JSON.createArrayNode()
                .add(Canonical.JSON.createObjectNode().put("role", "user").put("content", question))).toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/chat/completions")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = Playbook.http().send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the router endpoint answered HTTP " + r.statusCode() + ": " + r.body());
        }
        return Canonical.JSON.readTree(r.body());
    }

    static void say(String s) {
        System.err.println("smelt demo: " + s);
    }

    /** Wall time per phase. Not thread-safe. */
    private static final class Phases {
        final ObjectNode json = Canonical.JSON.createObjectNode();
        private long last = System.nanoTime();

        void mark(String name) {
            long now = System.nanoTime();
            json.put(name, Math.round((now - last) / 1e7) / 100.0);
            last = now;
        }
    }
}
