package dev.smelt.server;

import dev.smelt.model.encoder.Embedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.server.http.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedding models a server offers, by name, each opened on first use and kept (they are small:
 * 90–130 MB of float32 weights). Names resolve exactly, then through {@link Embedders#builtinName}
 * (so Ollama-style {@code all-minilm} or {@code all-minilm:latest} find all-MiniLM-L6-v2). Thread-safe; owns
 * the embedders it opened: close it.
 */
public final class EmbeddingModels implements AutoCloseable {
    /** Opens an embedder for a registered name (the CLI wires {@link Embedders#open}). */
    @FunctionalInterface
    public interface Opener {
        Embedder open(String name) throws Exception;

        /** The file or directory behind {@code name} (model listings), or null (a built-in model). */
        default java.nio.file.Path file(String name) {
            return null;
        }
    }

    private final List<String> names;
    private final Opener opener;
    private final Map<String, Embedder> open = new LinkedHashMap<>();
    private boolean closed;

    /** @param names canonical names served (built-in names or paths' display names) */
    public EmbeddingModels(List<String> names, Opener opener) {
        this.names = List.copyOf(names);
        this.opener = opener;
    }

    /** No embedding models. */
    public static EmbeddingModels none() {
        return new EmbeddingModels(List.of(), name -> {
            throw new IllegalStateException("no embedding models");
        });
    }

    public List<String> names() {
        return names;
    }

    /** The file behind served name {@code name}, or null (built-in or unknown). */
    public java.nio.file.Path file(String name) {
        return names.contains(name) ? opener.file(name) : null;
    }

    /** The canonical served name for a requested one ({@code name:latest} is {@code name}, as in Ollama), or null. */
    String resolve(String requested) {
        if (requested == null) {
            return names.size() == 1 ? names.getFirst() : null;
        }
        if (names.contains(requested)) {
            return requested;
        }
        if (requested.endsWith(ModelRegistry.LATEST) && names.contains(ModelRegistry.untagged(requested))) {
            return ModelRegistry.untagged(requested);
        }
        String b = Embedders.builtinName(requested);
        return b != null && names.contains(b) ? b : null;
    }

    /** The embedder for {@code requested}, opening it if needed; 404 (OpenAI shape) when not served. */
    synchronized Embedder get(String requested) {
        if (closed) {
            throw new ApiException(503, "server_error", "server is shutting down", null, null, null);
        }
        String name = resolve(requested);
        if (name == null) {
            if (requested == null) {
                throw ApiException.badRequest("'model' is required; embedding models served: " + names, "model");
            }
            List<String> avail = new ArrayList<>(names);
            throw ApiException.notFound("The embedding model '" + requested + "' does not exist; available: "
                    + (avail.isEmpty() ? "none (start smelt serve with all-minilm-l6-v2)" : String.join(", ", avail)),
                    "model", "model_not_found");
        }
        Embedder e = open.get(name);
        if (e == null) {
            try {
                e = opener.open(name);
            } catch (Exception ex) {
                throw new ApiException(500, "server_error", "failed to load embedding model '" + name + "': " + ex.getMessage(),
                        "model", null, null);
            }
            open.put(name, e);
        }
        return e;
    }

    @Override
    public synchronized void close() {
        closed = true;
        open.values().forEach(Embedder::close);
        open.clear();
    }
}
