package dev.smelt.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The descriptions of smelt's endpoints for {@link OpenApi}, kept as data in {@code openapi-catalog.json} beside the
 * pages: {@code "operations"} keyed by {@code "METHOD PATH"} and the shared {@code "schemas"}. Read once; immutable
 * (callers get copies).
 */
final class OpenApiCatalog {
    private static final JsonNode CATALOG = load();

    private OpenApiCatalog() {
    }

    private static JsonNode load() {
        try (InputStream in = OpenApiCatalog.class.getResourceAsStream(WebUi.ROOT + "openapi-catalog.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi-catalog.json is missing from the jar");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("openapi-catalog.json in the jar cannot be read", e);
        }
    }

    /** A copy of the operation for {@code method} (lower case) on {@code path}, or null when it is not described. */
    static ObjectNode operation(String method, String path) {
        JsonNode op = CATALOG.path("operations").get(method + " " + path);
        return op instanceof ObjectNode o ? o.deepCopy() : null;
    }

    /** Every described operation, as {@code "method path"}. */
    static java.util.Set<String> operationKeys() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        CATALOG.path("operations").fieldNames().forEachRemaining(out::add);
        return out;
    }

    static ObjectNode schemas() {
        return ((ObjectNode) CATALOG.path("schemas")).deepCopy();
    }
}
