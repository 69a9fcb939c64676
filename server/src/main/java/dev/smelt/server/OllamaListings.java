package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.text.Quote;
import dev.smelt.server.http.ApiException;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Ollama's model listings: /api/tags (chat models, their adapters and the embedders, as {@code name:latest}),
 * /api/show (a chat model's GGUF metadata and template, an adapter's {@code ADAPTER} line, an embedder's
 * vector size) and /api/ps (loaded models and when each is unloaded). Read from file headers, never by
 * loading weights (except /api/show of an embedder, which opens it: they are small and stay open).
 * Thread-safe.
 */
final class OllamaListings {
    private final ModelRegistry models;
    private final EmbeddingModels embeddings;
    private final Clock clock;
    private final Instant startedAt;

    OllamaListings(ModelRegistry models, EmbeddingModels embeddings, Clock clock) {
        this.models = models;
        this.embeddings = embeddings;
        this.clock = clock;
        this.startedAt = clock.instant();
    }


    void tags(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("models");
        java.util.Set<String> listed = new java.util.HashSet<>();
        for (String n : models.names()) {
            dev.smelt.model.store.StoredModel st = models.stored(n);
            if (st != null) {
                listed.add(st.name().toString());
                arr.add(storedEntry(st, tagged(n)));
                for (String a : models.adapters(n)) {
                    arr.add(storedEntry(st, tagged(n + ModelRegistry.ADAPTER_SEPARATOR + a)));
                }
                continue;
            }
            ModelInfo info = info(n);
            if (info == null) {
                continue;
            }
            java.util.List<String> served = new java.util.ArrayList<>(List.of(n));
            for (String a : models.adapters(n)) {
                served.add(n + ModelRegistry.ADAPTER_SEPARATOR + a); // LoRA adapters on this base, selectable per request
            }
            for (String name : served) {
                ObjectNode e = arr.addObject().put("name", tagged(name)).put("model", tagged(name)).put("modified_at", info.modified().toString())
                        .put("size", info.size()).put("digest", info.digest());
                e.set("details", details(info));
            }
        }
        for (String n : embeddings.names()) {
            arr.add(embedderEntry(n));
        }
        if (models.store() != null) {
            try {
                for (dev.smelt.model.store.StoredModel st : models.store().list()) { // every stored name, servable on request
                    if (listed.add(st.name().toString())) {
                        arr.add(storedEntry(st, st.name().toString()));
                    }
                }
            } catch (IOException e) {
                throw new ApiException(500, "server_error", "cannot read the model store " + models.store().root() + ": " + e.getMessage(),
                        null, null, null);
            }
        }
        ctx.json(o);
    }

    /** A stored model as /api/tags lists it, from its manifest (no hashing: the digest is the store's). */
    private static ObjectNode storedEntry(dev.smelt.model.store.StoredModel st, String name) {
        ObjectNode e = Json.MAPPER.createObjectNode().put("name", name).put("model", name).put("modified_at", st.modified().toString())
                .put("size", st.size()).put("digest", st.digest().substring("sha256:".length()));
        ObjectNode d = e.putObject("details").put("parent_model", "").put("format", "gguf").put("family", st.family());
        d.putArray("families").add(st.family());
        d.put("parameter_size", storedParameterSize(st)).put("quantization_level", st.fileType());
        return e;
    }

    /** The weights' parameter count as for a served file ("1.4M"); "" when the blob's header cannot be read. */
    private static String storedParameterSize(dev.smelt.model.store.StoredModel st) {
        try {
            return ModelInfo.of(st.model()).parameterSize();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** {@code name:latest}, as Ollama lists names (a name that has a tag keeps it). */
    static String tagged(String name) {
        return name.contains(":") ? name : name + ModelRegistry.LATEST;
    }

    /** An embedding model as /api/tags lists it: size, digest and time of its file (a built-in's packaged weights). */
    private ObjectNode embedderEntry(String n) {
        FileFacts f = embedderFacts(n);
        ObjectNode e = Json.MAPPER.createObjectNode().put("name", tagged(n)).put("model", tagged(n))
                .put("modified_at", f.modified().toString()).put("size", f.size()).put("digest", f.digest());
        ObjectNode d = e.putObject("details").put("parent_model", "").put("format", f.format()).put("family", "bert");
        d.putArray("families").add("bert");
        d.put("parameter_size", "").put("quantization_level", "");
        return e;
    }

    private FileFacts embedderFacts(String n) {
        java.nio.file.Path p = embeddings.file(n);
        try {
            return p != null ? FileFacts.of(p) : FileFacts.of(dev.smelt.model.encoder.Embedders.builtinWeights(n), startedAt);
        } catch (IOException e) {
            throw new ApiException(500, "server_error", "cannot read embedding model '" + n + "': " + e.getMessage(), "model", null, null);
        }
    }

    /** Ollama's /api/ps: the chat models in memory now and when each will be unloaded. */
    void ps(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("models");
        long now = models.nowNanos();
        for (ServedModel m : models.loadedModels()) {
            ModelInfo info = info(m.name());
            Instant expires = expiry(models.expiresAtNanos(m), now);
            java.util.List<String> served = new java.util.ArrayList<>(List.of(m.name()));
            for (String a : models.adapters(m.name())) {
                served.add(m.name() + ModelRegistry.ADAPTER_SEPARATOR + a); // attached adapters are loaded with their base
            }
            for (String name : served) {
                ObjectNode e = arr.addObject().put("name", tagged(name)).put("model", tagged(name));
                e.put("size", info != null ? info.size() : 0).put("digest", info != null ? info.digest() : "")
                        .put("expires_at", expires.toString()).put("size_vram", 0).put("context_length", m.engine().contextPerSlot());
                if (info != null) {
                    ObjectNode d = details(info);
                    if (!name.equals(m.name())) {
                        d.put("parent_model", m.name());
                    }
                    e.set("details", d);
                }
            }
        }
        ctx.json(o);
    }

    /** When a model idle since now expires; Ollama's "forever" is a date far in the future. */
    private Instant expiry(long expiresAtNanos, long nowNanos) {
        Instant forever = Instant.parse("2318-01-01T00:00:00Z");
        if (expiresAtNanos == Long.MAX_VALUE) {
            return forever;
        }
        try {
            return Instant.now(clock).plusNanos(Math.subtractExact(expiresAtNanos, nowNanos));
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return forever;
        }
    }

    void show(Context ctx) {
        ObjectNode body = Json.parseObject(ctx);
        String requested = Json.string(body, "model", Json.string(body, "name", null));
        if (requested == null || requested.isBlank()) {
            throw ApiException.badRequest("model is required", "model");
        }
        String name = models.canonical(requested) != null ? requested : ModelRegistry.untagged(requested);
        if (models.canonical(name) == null && embeddings.resolve(name) != null) {
            ctx.json(showEmbedder(embeddings.resolve(name)));
            return;
        }
        String canonical = models.canonical(name);
        String adapter = null;
        int plus = name.lastIndexOf(ModelRegistry.ADAPTER_SEPARATOR);
        if (canonical == null && plus > 0 && models.canonical(name.substring(0, plus)) != null) {
            canonical = models.canonical(name.substring(0, plus)); // base+adapter, as /api/tags lists it
            adapter = name.substring(plus + 1);
            if (!models.adapters(canonical).contains(adapter)) {
                throw ApiException.notFound("model " + Quote.of(name) + " not found: '" + canonical + "' has no adapter " + Quote.of(adapter)
                        + "; its adapters: " + String.join(", ", models.adapters(canonical)), "model", "model_not_found");
            }
        }
        if (canonical == null) {
            throw ApiException.notFound("model " + Quote.of(name) + " not found", "model", "model_not_found");
        }
        ModelInfo info = info(canonical);
        if (info == null) {
            throw ApiException.notFound("model " + Quote.of(name) + " has no file to describe", "model", "model_not_found");
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        java.nio.file.Path adapterFile = adapter == null ? null : models.adapterFile(canonical, adapter);
        o.put("modelfile", "# served by smelt\nFROM " + models.file(canonical).toAbsolutePath() + "\n"
                + (adapter == null ? "" : "ADAPTER " + (adapterFile != null ? adapterFile : adapter) + "\n")); // Ollama's Modelfile keyword
        o.put("parameters", "");
        o.put("template", info.template() == null ? "" : info.template());
        dev.smelt.model.store.StoredModel st = models.stored(canonical);
        if (st != null) { // what the Modelfile added, in Ollama's fields
            o.put("modelfile", o.get("modelfile").asText() + storedModelfile(st));
            o.put("parameters", storedParameters(st));
            if (st.template() != null) {
                o.put("template", st.template());
            }
            if (st.system() != null) {
                o.put("system", st.system());
            }
        }
        ObjectNode details = details(info);
        if (adapter != null) {
            details.put("parent_model", canonical); // an adapter is a model derived from its base
        }
        o.set("details", details);
        o.set("model_info", Json.MAPPER.valueToTree(info.metadata()));
        ArrayNode caps = o.putArray("capabilities").add("completion");
        if (info.template() == null || info.template().contains("tools")) {
            caps.add("tools"); // the ChatML fallback renders tools too
        }
        o.put("modified_at", (st != null ? st.modified() : info.modified()).toString()); // as /api/tags lists it
        ctx.json(o);
    }

    /** The Modelfile lines a stored model adds to its FROM (ADAPTER, TEMPLATE, SYSTEM, PARAMETER). */
    private static String storedModelfile(dev.smelt.model.store.StoredModel st) {
        StringBuilder sb = new StringBuilder();
        if (st.adapter() != null) {
            sb.append("ADAPTER ").append(st.adapter()).append('\n');
        }
        if (st.template() != null) {
            sb.append("TEMPLATE \"\"\"").append(st.template()).append("\"\"\"\n");
        }
        if (st.system() != null) {
            sb.append("SYSTEM \"\"\"").append(st.system()).append("\"\"\"\n");
        }
        for (String line : storedParameters(st).lines().toList()) {
            sb.append("PARAMETER ").append(line).append('\n');
        }
        return sb.toString();
    }

    /** Ollama's {@code parameters} text: one {@code name value} per line, {@code stop} once per value. */
    private static String storedParameters(dev.smelt.model.store.StoredModel st) {
        StringBuilder sb = new StringBuilder();
        st.parameters().fields().forEachRemaining(e -> {
            for (com.fasterxml.jackson.databind.JsonNode v : e.getValue().isArray() ? e.getValue() : List.of(e.getValue())) {
                sb.append(e.getKey()).append(' ').append(v.isTextual() ? "\"" + v.asText() + "\"" : v.toString()).append('\n');
            }
        });
        return sb.toString();
    }

    /** /api/show for an embedding model: its vector size from the opened model, capability "embedding". */
    private ObjectNode showEmbedder(String n) {
        FileFacts f = embedderFacts(n);
        int dims = embeddings.get(n).dimension();
        ObjectNode o = Json.MAPPER.createObjectNode();
        java.nio.file.Path file = embeddings.file(n);
        o.put("modelfile", "# served by smelt\nFROM " + (file != null ? file : n) + "\n").put("parameters", "").put("template", "");
        ObjectNode d = o.putObject("details").put("parent_model", "").put("format", f.format()).put("family", "bert");
        d.putArray("families").add("bert");
        d.put("parameter_size", "").put("quantization_level", "");
        o.putObject("model_info").put("general.architecture", "bert").put("bert.embedding_length", dims);
        o.putArray("capabilities").add("embedding");
        o.put("modified_at", f.modified().toString());
        return o;
    }

    private ModelInfo info(String canonical) {
        Path p = models.file(canonical);
        if (p == null) {
            return null;
        }
        try {
            return ModelInfo.of(p);
        } catch (IOException e) {
            throw new ApiException(500, "server_error", "cannot read model file " + p + ": " + e.getMessage(), "model", null, null);
        }
    }

    private static ObjectNode details(ModelInfo info) {
        ObjectNode d = Json.MAPPER.createObjectNode().put("parent_model", "").put("format", "gguf").put("family", info.architecture());
        d.putArray("families").add(info.architecture());
        d.put("parameter_size", info.parameterSize()).put("quantization_level", info.quantization());
        return d;
    }

}
