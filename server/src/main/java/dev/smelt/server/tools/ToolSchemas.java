package dev.smelt.server.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Prepares tool argument schemas for constrained decoding. Stateless. */
public final class ToolSchemas {
    /**
     * Value-level keywords the constrained decoder cannot enforce. Tool schemas use them often
     * ({@code format: date}, {@code minimum: 0}); for a forced call they are dropped so the call is
     * still guaranteed to be well-formed JSON of the right shape (names, types, required fields,
     * enums), rather than refusing the request. response_format keeps rejecting them (strict mode).
     */
    static final Set<String> RELAXED = Set.of("pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "multipleOf", "minLength", "uniqueItems", "minProperties", "maxProperties", "patternProperties", "contains");
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "$defs", "definitions");
    private static final Set<String> SCHEMA_LISTS = Set.of("anyOf", "oneOf", "allOf", "prefixItems");
    private static final Set<String> SCHEMA_VALUES = Set.of("items", "additionalProperties", "not");

    private ToolSchemas() {
    }

    /** A copy of {@code schema} without {@link #RELAXED} keywords, walking only schema positions. */
    public static JsonNode relax(JsonNode schema) {
        if (schema == null || schema.isNull()) { // a function without parameters takes none
            ObjectNode none = ToolFormat.JSON.createObjectNode().put("type", "object");
            none.putObject("properties");
            return none.put("additionalProperties", false);
        }
        JsonNode copy = schema.deepCopy();
        strip(copy);
        return copy;
    }

    private static void strip(JsonNode s) {
        if (!(s instanceof ObjectNode o)) {
            return;
        }
        o.remove(RELAXED);
        if (o.has("properties") && !o.has("additionalProperties")) {
            o.put("additionalProperties", false); // a forced call uses the declared arguments only (OpenAI strict mode)
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (SCHEMA_MAPS.contains(e.getKey()) && e.getValue().isObject()) {
                e.getValue().forEach(ToolSchemas::strip);
            } else if (SCHEMA_LISTS.contains(e.getKey()) && e.getValue().isArray()) {
                e.getValue().forEach(ToolSchemas::strip);
            } else if (SCHEMA_VALUES.contains(e.getKey())) {
                strip(e.getValue());
            }
        }
    }
}
