package dev.smelt.runtime.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Compiles the JSON-schema subset that structured output needs (OpenAI strict mode and common
 * extras): type (one or several), properties/required (emitted in schema order; optional ones may be
 * skipped), items/minItems/maxItems, enum, const, anyOf/oneOf, maxLength, local $ref to $defs or
 * definitions (non-recursive). Keywords that would change validity but cannot be enforced (pattern,
 * format, minimum…) are rejected rather than silently ignored, except purely descriptive ones.
 */
public final class SchemaCompiler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> DESCRIPTIVE = Set.of("title", "description", "$schema", "$id", "default", "examples",
            "additionalProperties", "$defs", "definitions", "strict", "$comment");
    private static final Set<String> UNSUPPORTED = Set.of("pattern", "format", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "multipleOf", "minLength", "patternProperties", "not", "allOf", "if", "then", "else",
            "dependentRequired", "dependentSchemas", "uniqueItems", "contains", "prefixItems", "minProperties", "maxProperties");
    private static final int MAX_DEPTH = 32;

    private final JsonNode root;
    private final Set<String> resolving = new HashSet<>();

    private SchemaCompiler(JsonNode root) {
        this.root = root;
    }

    /** The node accepting exactly the documents valid under {@code schema}. */
    public static Node compile(JsonNode schema) {
        if (schema == null || !schema.isObject()) {
            throw new SchemaException("", "a schema must be a JSON object");
        }
        return new SchemaCompiler(schema).node(schema, "", 0);
    }

    /** Any JSON object (response_format json_object). */
    public static Node anyObject() {
        return new Node(Node.Kind.OBJECT, List.of(), true, null, 0, Integer.MAX_VALUE, List.of(), List.of(), Integer.MAX_VALUE);
    }

    private Node node(JsonNode s, String ptr, int depth) {
        if (depth > MAX_DEPTH) {
            throw new SchemaException(ptr, "nesting deeper than " + MAX_DEPTH + " levels");
        }
        if (s.isBoolean()) {
            if (s.asBoolean()) {
                return Node.ANY;
            }
            throw new SchemaException(ptr, "'false' schema accepts nothing");
        }
        if (!s.isObject()) {
            throw new SchemaException(ptr, "expected a schema object, got " + s.getNodeType().name().toLowerCase());
        }
        if (s.has("$ref")) {
            return ref(s.get("$ref").asText(), ptr, depth);
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (UNSUPPORTED.contains(k)) {
                throw new SchemaException(ptr, "keyword '" + k + "' is not supported for constrained decoding");
            }
        }
        if (s.has("const")) {
            return literal(List.of(s.get("const")));
        }
        if (s.has("enum")) {
            JsonNode e = s.get("enum");
            if (!e.isArray() || e.isEmpty()) {
                throw new SchemaException(ptr + "/enum", "must be a non-empty array");
            }
            List<JsonNode> values = new ArrayList<>();
            e.forEach(values::add);
            return literal(values);
        }
        for (String union : List.of("anyOf", "oneOf")) {
            if (s.has(union)) {
                JsonNode arr = s.get(union);
                if (!arr.isArray() || arr.isEmpty()) {
                    throw new SchemaException(ptr + "/" + union, "must be a non-empty array");
                }
                List<Node> options = new ArrayList<>();
                for (int i = 0; i < arr.size(); i++) {
                    options.add(node(arr.get(i), ptr + "/" + union + "/" + i, depth + 1));
                }
                return new Node(Node.Kind.UNION, List.of(), false, null, 0, Integer.MAX_VALUE, List.of(), options, Integer.MAX_VALUE);
            }
        }
        JsonNode type = s.get("type");
        if (type == null) {
            if (s.has("properties")) {
                return object(s, ptr, depth);
            }
            return Node.ANY;
        }
        if (type.isArray()) {
            List<Node> options = new ArrayList<>();
            for (JsonNode t : type) {
                options.add(typed(t.asText(), s, ptr, depth));
            }
            return new Node(Node.Kind.UNION, List.of(), false, null, 0, Integer.MAX_VALUE, List.of(), options, Integer.MAX_VALUE);
        }
        return typed(type.asText(), s, ptr, depth);
    }

    private Node typed(String type, JsonNode s, String ptr, int depth) {
        return switch (type) {
            case "object" -> object(s, ptr, depth);
            case "array" -> {
                Node items = s.has("items") ? node(s.get("items"), ptr + "/items", depth + 1) : Node.ANY;
                int min = count(s, "minItems", 0, ptr);
                int max = count(s, "maxItems", Integer.MAX_VALUE, ptr);
                if (max < min) {
                    throw new SchemaException(ptr, "minItems " + min + " / maxItems " + max + " are inconsistent");
                }
                yield new Node(Node.Kind.ARRAY, List.of(), false, items, min, max, List.of(), List.of(), Integer.MAX_VALUE);
            }
            case "string" -> new Node(Node.Kind.STRING, List.of(), false, null, 0, Integer.MAX_VALUE, List.of(), List.of(),
                    count(s, "maxLength", Integer.MAX_VALUE, ptr));
            case "number" -> Node.of(Node.Kind.NUMBER);
            case "integer" -> Node.of(Node.Kind.INTEGER);
            case "boolean" -> Node.of(Node.Kind.BOOLEAN);
            case "null" -> Node.of(Node.Kind.NULL);
            default -> throw new SchemaException(ptr + "/type", "unknown type '" + type + "'");
        };
    }

    /**
     * A count keyword (maxLength, minItems, maxItems): a non-negative integer as JSON Schema requires (5.0 counts as
     * 5); beyond int it means no limit. Anything else was read as 0 or a negative limit before: an error now.
     */
    private static int count(JsonNode s, String key, int absent, String ptr) {
        JsonNode v = s.get(key);
        if (v == null) {
            return absent;
        }
        boolean integral = v.isIntegralNumber() || v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                && !Double.isInfinite(v.doubleValue());
        if (!integral || v.doubleValue() < 0) {
            throw new SchemaException(ptr + "/" + key, "must be a non-negative integer, got " + v);
        }
        return v.canConvertToInt() ? v.intValue() : Integer.MAX_VALUE;
    }

    private Node object(JsonNode s, String ptr, int depth) {
        JsonNode props = s.get("properties");
        if ((props == null || props.isEmpty()) && s.has("required") && !s.get("required").isEmpty()) {
            throw new SchemaException(ptr + "/required", "names properties but 'properties' is empty");
        }
        if (props == null || props.isEmpty()) {
            JsonNode ap = s.get("additionalProperties");
            if (ap != null && ap.isBoolean() && !ap.asBoolean()) {
                return new Node(Node.Kind.OBJECT, List.of(), false, null, 0, Integer.MAX_VALUE, List.of(), List.of(), Integer.MAX_VALUE);
            }
            return anyObject();
        }
        Set<String> required = new HashSet<>();
        s.path("required").forEach(r -> required.add(r.asText()));
        List<Node.Property> list = new ArrayList<>();
        for (Iterator<String> it = props.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            Node value = node(props.get(name), ptr + "/properties/" + name, depth + 1);
            list.add(new Node.Property(name, encode(name), value, required.contains(name)));
        }
        for (String r : required) {
            if (!props.has(r)) {
                throw new SchemaException(ptr + "/required", "'" + r + "' is required but not among the properties");
            }
        }
        return new Node(Node.Kind.OBJECT, List.copyOf(list), false, null, 0, Integer.MAX_VALUE, List.of(), List.of(), Integer.MAX_VALUE);
    }

    private Node ref(String ref, String ptr, int depth) {
        if (!ref.startsWith("#/")) {
            throw new SchemaException(ptr, "only local $ref ('#/...') is supported, got '" + ref + "'");
        }
        if (!resolving.add(ref)) {
            throw new SchemaException(ptr, "recursive $ref '" + ref + "' is not supported");
        }
        JsonNode target = root.at(ref.substring(1));
        if (target.isMissingNode()) {
            throw new SchemaException(ptr, "$ref '" + ref + "' does not resolve");
        }
        Node n = node(target, ref.substring(1), depth + 1);
        resolving.remove(ref);
        return n;
    }

    private static Node literal(List<JsonNode> values) {
        List<String> lits = new ArrayList<>();
        for (JsonNode v : values) {
            try {
                lits.add(JSON.writeValueAsString(v));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return new Node(Node.Kind.CONST, List.of(), false, null, 0, Integer.MAX_VALUE, List.copyOf(lits), List.of(), Integer.MAX_VALUE);
    }

    static String encode(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
