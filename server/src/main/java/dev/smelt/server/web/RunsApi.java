package dev.smelt.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.server.http.ApiException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Runs page's API over a {@link RunsDirectory} ({@code smelt serve --runs DIR}, {@code smelt route --runs DIR}):
 * <ul>
 *   <li>{@code GET /api/smelt/runs}: every run found, with a one-line summary, or the error that keeps it from being read;</li>
 *   <li>{@code GET /api/smelt/runs/{id}}: a run's curves (loss, learning rate…), config, files with sizes, eval results;</li>
 *   <li>{@code GET /api/smelt/runs/{id}/files/{name}}: one file of the run ({@code report.html} shown in the browser
 *       under a policy that allows no script; other files as text or a download);</li>
 *   <li>{@code GET /api/smelt/compare?a=ID&b=ID}: two eval results side by side ({@link EvalComparison}).</li>
 * </ul>
 * A bad file is reported for its run (field {@code error} / {@code errors}), never as a failed list or a 500. The routes
 * are keyed like the rest of the API. Stateless apart from the folder; thread-safe.
 */
public final class RunsApi {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** The policy of a served report.html: its own inline CSS and SVG, nothing else; no script at all. */
    static final String REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'self'; sandbox";
    private static final Pattern MLFLOW_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Map<String, String> TEXT_TYPES = Map.of("json", "application/json", "jsonl", "text/plain; charset=utf-8",
            "csv", "text/plain; charset=utf-8", "yaml", "text/plain; charset=utf-8", "txt", "text/plain; charset=utf-8");

    private final RunsDirectory runs;

    private RunsApi(RunsDirectory runs) {
        this.runs = runs;
    }

    /** Adds the Runs API over {@code dir} to {@code app}. */
    public static void install(Javalin app, RunsDirectory dir) {
        RunsApi api = new RunsApi(dir);
        app.get("/api/smelt/runs", api::list);
        app.get("/api/smelt/runs/{id}", api::detail);
        app.get("/api/smelt/runs/{id}/files/{name}", api::file);
        app.get("/api/smelt/compare", api::compare);
    }

    private void list(Context ctx) {
        RunsDirectory.Scan scan;
        try {
            scan = runs.scan();
        } catch (IOException e) { // the folder itself went away or became unreadable after start-up
            throw new ApiException(503, "server_error", "the --runs folder " + runs.root() + " cannot be read: " + e.getClass().getSimpleName(),
                    null, "runs_unreadable", null);
        }
        ObjectNode o = F.objectNode().put("root", runs.root().toString()).put("truncated", scan.truncated());
        ArrayNode arr = o.putArray("runs");
        for (RunsDirectory.Run r : scan.runs()) {
            ObjectNode item = arr.addObject().put("id", r.id()).put("path", r.path()).put("kind", r.kind().json());
            item.put("modified", modified(r));
            try {
                summarize(r, item);
            } catch (RunFiles.BadFile e) {
                item.put("error", e.getMessage());
            } catch (RuntimeException e) { // a shape we did not expect: that run's problem, not the list's
                item.put("error", "cannot be read: " + e);
            }
        }
        ctx.json(o);
    }

    private void detail(Context ctx) {
        RunsDirectory.Run r = runs.run(ctx.pathParam("id"));
        ObjectNode o = F.objectNode().put("id", r.id()).put("path", r.path()).put("kind", r.kind().json()).put("modified", modified(r));
        o.put("name", r.path().equals(".") ? runs.root().getFileName().toString() : r.dir().getFileName().toString());
        ArrayNode errors = o.putArray("errors");
        o.putArray("charts");
        o.putObject("config");
        try {
            switch (r.kind()) {
                case FINETUNE -> finetune(r, o, errors);
                case CLASSIFIER -> classifier(r, o);
                case MLFLOW -> mlflow(r, "", r.dir(), o, errors);
                case EVAL -> eval(r, o);
            }
        } catch (RunFiles.BadFile e) {
            errors.add(e.getMessage());
        } catch (RuntimeException e) {
            errors.add("cannot be read: " + e);
        }
        ArrayNode files = o.putArray("files");
        for (RunsDirectory.FileEntry f : runs.files(r)) {
            files.addObject().put("name", f.name()).put("bytes", f.bytes()).put("url", fileUrl(r, f.name()));
        }
        ctx.json(o);
    }

    private void file(Context ctx) throws IOException {
        RunsDirectory.Run r = runs.run(ctx.pathParam("id"));
        String name = ctx.pathParam("name");
        Path p = runs.file(r, name);
        String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        WebUi.secure(ctx);
        ctx.header("Cache-Control", "no-cache");
        if (ext.equals("html") || ext.equals("htm")) {
            ctx.header("Content-Security-Policy", REPORT_CSP); // replaces the pages' policy: the report's inline CSS, no script
            ctx.header("X-Frame-Options", "SAMEORIGIN");
            ctx.contentType("text/html; charset=utf-8");
        } else if (TEXT_TYPES.containsKey(ext)) {
            ctx.contentType(TEXT_TYPES.get(ext));
        } else {
            ctx.contentType("application/octet-stream");
            ctx.header("Content-Disposition", "attachment; filename=\"" + name + "\"");
        }
        InputStream in = Files.newInputStream(p);
        ctx.result(in); // Javalin streams and closes it
    }

    private void compare(Context ctx) {
        String a = ctx.queryParam("a");
        String b = ctx.queryParam("b");
        if (a == null || b == null) {
            throw ApiException.badRequest("give two eval results: ?a=RUN_ID&b=RUN_ID (ids from GET /api/smelt/runs)", a == null ? "a" : "b");
        }
        ctx.json(EvalComparison.compare(side(a, ctx.queryParam("a_target"), "a"), side(b, ctx.queryParam("b_target"), "b")));
    }

    /** One side of a comparison: an eval run's result.json and the chosen target (default: the first). */
    private EvalComparison.Side side(String id, String target, String param) {
        RunsDirectory.Run r = runs.run(id);
        if (r.kind() != RunsDirectory.Kind.EVAL) {
            throw ApiException.badRequest("run " + r.path() + " is a " + r.kind().json() + " run, not an eval result (result.json)", param);
        }
        ObjectNode result;
        try {
            result = RunFiles.jsonObject(runs.file(r, "result.json"), r.path() + "/result.json");
        } catch (RunFiles.BadFile e) {
            throw ApiException.badRequest(e.getMessage(), param);
        }
        JsonNode results = result.path("results");
        if (!results.isArray() || results.isEmpty()) {
            throw ApiException.badRequest(r.path() + "/result.json: no 'results' to compare", param);
        }
        JsonNode chosen = null;
        for (JsonNode t : results) {
            if (target == null ? chosen == null : target.equals(t.path("target").asText())) {
                chosen = t;
            }
        }
        if (chosen == null || !chosen.isObject()) {
            throw ApiException.badRequest(r.path() + "/result.json has no target '" + target + "'", param + "_target");
        }
        return new EvalComparison.Side(r.id(), r.path(), result.path("task").asText(""), (ObjectNode) RunFiles.finite(chosen));
    }

    private void summarize(RunsDirectory.Run r, ObjectNode item) throws RunFiles.BadFile {
        item.put("name", r.path().equals(".") ? runs.root().getFileName().toString() : r.dir().getFileName().toString());
        switch (r.kind()) {
            case FINETUNE -> {
                RunFiles.Curves c = RunFiles.metricsCsv(runs.file(r, "metrics.csv"), "metrics.csv");
                item.put("summary", c.isEmpty() ? "no steps logged yet" : String.format(Locale.ROOT, "%d steps, loss %s", Math.round(c.x().getLast()),
                        last(c.series().get("loss"))));
            }
            case CLASSIFIER -> {
                JsonNode m = RunFiles.jsonObject(runs.file(r, "classifier.json"), "classifier.json").path("metrics");
                String acc = m.has("test_accuracy") ? "test accuracy " + num(m.path("test_accuracy"))
                        : "validation accuracy " + num(m.path("validation_accuracy"));
                item.put("summary", m.path("method").asText("head") + " classifier, " + acc);
            }
            case MLFLOW -> {
                ObjectNode meta = RunFiles.mlflowMeta(runs.file(r, "meta.yaml"), "meta.yaml");
                if (!meta.path("run_name").asText("").isEmpty()) {
                    item.put("name", meta.path("run_name").asText());
                }
                item.put("summary", "MLflow run, " + meta.path("status").asText("status unknown"));
            }
            case EVAL -> {
                ObjectNode res = RunFiles.jsonObject(runs.file(r, "result.json"), "result.json");
                StringBuilder s = new StringBuilder(res.path("task").asText("eval")).append(":");
                ArrayNode targets = item.putArray("targets");
                for (JsonNode t : res.path("results")) {
                    targets.add(t.path("target").asText());
                    s.append(' ').append(t.path("target").asText()).append(' ').append(num(t.path("accuracy"))).append(';');
                }
                item.put("summary", s.toString().replaceAll(";$", ""));
            }
        }
    }

    private void finetune(RunsDirectory.Run r, ObjectNode o, ArrayNode errors) throws RunFiles.BadFile {
        try {
            o.set("charts", RunFiles.charts(RunFiles.metricsCsv(runs.file(r, "metrics.csv"), "metrics.csv")));
        } catch (RunFiles.BadFile e) {
            errors.add(e.getMessage());
        }
        Path adapterConfig = r.dir().resolve("adapter_config.json");
        if (runs.inside(adapterConfig)) {
            try {
                o.set("adapter_config", RunFiles.finite(RunFiles.jsonObject(adapterConfig, "adapter_config.json")));
            } catch (RunFiles.BadFile e) {
                errors.add(e.getMessage());
            }
        }
        Path idFile = r.dir().resolve("mlflow_run_id");
        if (runs.inside(idFile)) { // the run's params (its config) and status are in its MLflow copy
            String id = RunFiles.text(idFile, "mlflow_run_id").strip();
            Path ml = MLFLOW_ID.matcher(id).matches() ? runs.folderInside(r.dir().resolve("mlruns").resolve("0").resolve(id)) : null;
            if (ml == null) {
                errors.add("mlflow_run_id: no MLflow run '" + id + "' under mlruns/0/");
            } else {
                ObjectNode inner = F.objectNode();
                inner.putArray("charts");
                mlflow(r, "mlruns/0/" + id + "/", ml, inner, errors);
                o.set("config", inner.path("config"));
                if (inner.has("status")) {
                    o.put("status", inner.path("status").asText());
                }
            }
        }
    }

    private void mlflow(RunsDirectory.Run r, String prefix, Path dir, ObjectNode o, ArrayNode errors) throws RunFiles.BadFile {
        if (prefix.isEmpty()) {
            o.set("charts", RunFiles.charts(RunFiles.mlflowMetrics(dir, prefix)));
        }
        o.set("config", RunFiles.keyValues(dir.resolve("params"), prefix + "params/"));
        o.set("tags", RunFiles.keyValues(dir.resolve("tags"), prefix + "tags/"));
        if (runs.inside(dir.resolve("meta.yaml"))) {
            try {
                ObjectNode meta = RunFiles.mlflowMeta(dir.resolve("meta.yaml"), prefix + "meta.yaml");
                o.put("status", meta.path("status").asText(""));
                if (prefix.isEmpty() && !meta.path("run_name").asText("").isEmpty()) {
                    o.put("name", meta.path("run_name").asText());
                }
                o.set("meta", meta);
            } catch (RunFiles.BadFile e) {
                errors.add(e.getMessage());
            }
        }
    }

    private void classifier(RunsDirectory.Run r, ObjectNode o) throws RunFiles.BadFile {
        ObjectNode c = RunFiles.jsonObject(runs.file(r, "classifier.json"), "classifier.json");
        JsonNode m = c.path("metrics");
        ObjectNode config = F.objectNode().put("format", c.path("format").asText()).put("encoder", c.path("encoder").asText())
                .put("labels", c.path("labels").size());
        if (m instanceof ObjectNode mo) {
            mo.fields().forEachRemaining(e -> {
                if (e.getValue().isValueNode()) {
                    config.set(e.getKey(), RunFiles.finite(e.getValue()));
                }
            });
            o.set("charts", RunFiles.charts(RunFiles.perEpoch(mo)));
        }
        o.set("config", config);
    }

    private void eval(RunsDirectory.Run r, ObjectNode o) throws RunFiles.BadFile {
        ObjectNode res = RunFiles.jsonObject(runs.file(r, "result.json"), "result.json");
        o.set("eval", RunFiles.finite(res));
        if (runs.inside(r.dir().resolve("report.html"))) {
            o.put("report", fileUrl(r, "report.html"));
        }
    }

    private long modified(RunsDirectory.Run r) {
        try {
            return Files.getLastModifiedTime(r.dir()).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String fileUrl(RunsDirectory.Run r, String name) {
        return "/api/smelt/runs/" + r.id() + "/files/" + name;
    }

    private static String last(List<Double> vs) {
        if (vs != null) {
            for (int i = vs.size() - 1; i >= 0; i--) {
                if (vs.get(i) != null) {
                    return String.format(Locale.ROOT, "%.4f", vs.get(i));
                }
            }
        }
        return "–";
    }

    private static String num(JsonNode n) {
        return n.isNumber() && Double.isFinite(n.asDouble()) ? String.format(Locale.ROOT, "%.4f", n.asDouble()) : "–";
    }
}
