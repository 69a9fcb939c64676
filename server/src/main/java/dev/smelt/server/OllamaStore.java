package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.hub.ModelDownloader;
import dev.smelt.model.store.ModelName;
import dev.smelt.model.store.ModelStore;
import dev.smelt.model.store.Modelfile;
import dev.smelt.model.store.NoSuchModelException;
import dev.smelt.model.store.StoreCreate;
import dev.smelt.model.store.StorePull;
import dev.smelt.model.store.StoredModel;
import dev.smelt.server.http.ApiException;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Ollama's model management over smelt's {@link ModelStore}: /api/pull ({@code hf:OWNER/REPO/FILE.gguf[@REV]},
 * stored under the file's name; status lines streamed as NDJSON unless {@code stream: false}), /api/delete,
 * /api/copy and /api/create (a {@code modelfile} text, or {@code from}/{@code template}/{@code system}/{@code parameters}
 * fields; paths are the server's). Errors are Ollama's {@code {"error": "..."}}: 400 for a bad request, 404 for an
 * unknown model; once a stream has started, a failure is its last line. Stored names become servable at once
 * ({@link ModelRegistry#canonical}); a deleted one stops being served. Thread-safe.
 */
final class OllamaStore {
    private final ModelStore store;
    private final ModelDownloader hub;
    private final ModelRegistry models;

    OllamaStore(ModelStore store, ModelDownloader hub, ModelRegistry models) {
        this.store = store;
        this.hub = hub;
        this.models = models;
    }

    /** A step of a streamed operation: writes {@code {"status": ...}} lines, or collects nothing when not streaming. */
    @FunctionalInterface
    private interface Job {
        void run(Status status) throws Exception;
    }

    @FunctionalInterface
    private interface Status {
        void send(ObjectNode line);

        default void say(String status) {
            send(Json.MAPPER.createObjectNode().put("status", status));
        }
    }

    void pull(Context ctx) throws IOException {
        ObjectNode body = Json.parseObject(ctx);
        String ref = name(body, "model");
        if (!ModelDownloader.isRemote(ref)) {
            throw ApiException.badRequest("'" + ref + "': smelt pulls GGUF files from Hugging Face: hf:OWNER/REPO/FILE.gguf[@REVISION] "
                    + "(there is no Ollama registry here)", "model");
        }
        ModelName name = StorePull.defaultName(ref);
        String file = ref.replaceFirst("@.*$", "");
        file = file.substring(file.lastIndexOf('/') + 1);
        String layer = file;
        run(ctx, body, status -> {
            status.say("pulling manifest");
            int[] lastPercent = {-1};
            new StorePull(store, hub).pull(ref, name, (done, total) -> {
                int pct = total > 0 ? (int) (100 * done / total) : -1;
                if (pct != lastPercent[0]) { // one line per percent, not per buffer
                    lastPercent[0] = pct;
                    ObjectNode l = Json.MAPPER.createObjectNode().put("status", "pulling " + layer).put("digest", layer).put("completed", done);
                    if (total > 0) {
                        l.put("total", total);
                    }
                    status.send(l);
                }
            });
            status.say("verifying sha256 digest");
            status.say("writing manifest");
            models.canonical(name.toString()); // servable now
        });
    }

    void delete(Context ctx) throws IOException {
        ModelName n = parse(name(Json.parseObject(ctx), "model"), "model");
        try {
            store.remove(n);
        } catch (NoSuchModelException e) {
            throw ApiException.notFound("model '" + n + "' not found", "model", "model_not_found");
        }
        models.forget(n.servedName());
        ctx.status(200);
    }

    void copy(Context ctx) throws IOException {
        ObjectNode body = Json.parseObject(ctx);
        ModelName src = parse(name(body, "source"), "source");
        ModelName dst = parse(name(body, "destination"), "destination");
        if (store.find(src.toString()) == null) {
            throw ApiException.notFound("model '" + src + "' not found", "source", "model_not_found");
        }
        store.copy(src, dst);
        models.forget(dst.servedName()); // a replaced destination is read again on next use
        ctx.status(200);
    }

    void create(Context ctx) throws IOException {
        ObjectNode body = Json.parseObject(ctx);
        ModelName name = parse(name(body, "model"), "model");
        for (String f : new String[] {"files", "adapters", "license", "messages", "quantize"}) {
            JsonNode v = body.get(f);
            if (v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty()) && !(v.isTextual() && v.asText().isEmpty())) {
                throw ApiException.unsupported(f, "smelt creates models from 'from' (a GGUF file on the server or a stored name), "
                        + "'template', 'system', 'parameters', or a 'modelfile' with FROM/ADAPTER/TEMPLATE/SYSTEM/PARAMETER");
            }
        }
        Path cwd = Path.of("").toAbsolutePath();
        Modelfile mf;
        try {
            mf = body.hasNonNull("modelfile") ? Modelfile.parse(Json.string(body, "modelfile", ""), "modelfile", cwd)
                    : Modelfile.of(Json.string(body, "from", null), cwd, Json.string(body, "template", null),
                    Json.string(body, "system", null), body.get("parameters"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage(), body.hasNonNull("modelfile") ? "modelfile" : "from");
        }
        Modelfile checked = mf;
        run(ctx, body, status -> {
            status.say("parsing modelfile");
            StoreCreate.create(store, name, checked, "modelfile");
            status.say("writing manifest");
            models.forget(name.servedName()); // a replaced model is read again on next use
        });
    }

    /** Runs {@code job}, streaming its status lines and then {@code success} (or the error) unless {@code stream} is false. */
    private void run(Context ctx, ObjectNode body, Job job) throws IOException {
        if (!Json.bool(body, "stream", true)) {
            try {
                job.run(line -> { });
            } catch (Exception e) {
                throw failure(e);
            }
            ctx.json(Json.MAPPER.createObjectNode().put("status", "success"));
            return;
        }
        ctx.res().setStatus(200);
        ctx.res().setContentType("application/x-ndjson");
        ctx.res().setHeader("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        Status status = line -> write(out, line);
        try {
            job.run(status);
            status.say("success");
        } catch (Exception e) {
            ApiException a = failure(e);
            status.send(Json.MAPPER.createObjectNode().put("error", a.getMessage()));
        }
    }

    private static void write(OutputStream out, ObjectNode line) {
        try {
            out.write((line.toString() + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the client left: stop the job
        }
    }

    /** The API error for a failed job: 400 for bad input, 404 when the hub has no such file, 500 otherwise. */
    private static ApiException failure(Exception e) {
        if (e instanceof ApiException a) {
            return a;
        }
        String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        if (e instanceof IllegalArgumentException) {
            return ApiException.badRequest(msg, null);
        }
        if (e instanceof NoSuchModelException || msg.contains("HTTP 404")) {
            return ApiException.notFound(msg, "model", "model_not_found");
        }
        return new ApiException(500, "server_error", msg, null, null, null);
    }

    private static String name(ObjectNode body, String field) {
        String v = Json.string(body, field, "model".equals(field) ? Json.string(body, "name", null) : null); // "name": Ollama's older field
        if (v == null || v.isBlank()) {
            throw ApiException.badRequest("'" + field + "' is required", field);
        }
        return v;
    }

    private static ModelName parse(String s, String field) {
        try {
            return ModelName.parse(s);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage(), field);
        }
    }
}
