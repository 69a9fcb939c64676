package dev.smelt.task;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Validates a JSON value against the JSON Schema subset structured-output APIs use: {@code type}
 * (incl. lists of types), {@code properties}, {@code required}, {@code additionalProperties: false},
 * {@code items}, {@code enum}, {@code const}, {@code minLength/maxLength}, {@code minimum/maximum},
 * {@code minItems/maxItems}. Unknown keywords are ignored. Returns every violation with its JSON
 * pointer. Stateless, thread-safe.
 */
public final class SchemaCheck {
    private SchemaCheck() {
    }

    public static List<String> validate(JsonNode schema, JsonNode value) {
        List<String> errors = new ArrayList<>();
        check(schema, value, "", errors);
        return errors;
    }

    private static void check(JsonNode s, JsonNode v, String at, List<String> errors) {
        String where = at.isEmpty() ? "/" : at;
        JsonNode type = s.get("type");
        if (type != null) {
            boolean ok = false;
            if (type.isArray()) {
                for (JsonNode t : type) {
                    ok |= isType(v, t.asText());
                }
            } else {
                ok = isType(v, type.asText());
            }
            if (!ok) {
                errors.add(where + ": expected " + type.asText(type.toString()) + ", got " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
                return;
            }
        }
        if (s.has("enum")) {
            boolean found = false;
            for (JsonNode e : s.get("enum")) {
                found |= e.equals(v);
            }
            if (!found) {
                errors.add(where + ": " + v + " is not one of " + s.get("enum"));
            }
        }
        if (s.has("const") && !s.get("const").equals(v)) {
            errors.add(where + ": expected " + s.get("const") + ", got " + v);
        }
        if (v.isTextual()) {
            int len = v.asText().codePointCount(0, v.asText().length());
            if (s.has("minLength") && len < s.get("minLength").asInt()) {
                errors.add(where + ": shorter than minLength " + s.get("minLength").asInt());
            }
            if (s.has("maxLength") && len > s.get("maxLength").asInt()) {
                errors.add(where + ": longer than maxLength " + s.get("maxLength").asInt());
            }
        }
        if (v.isNumber()) {
            if (s.has("minimum") && v.asDouble() < s.get("minimum").asDouble()) {
                errors.add(where + ": " + v + " < minimum " + s.get("minimum"));
            }
            if (s.has("maximum") && v.asDouble() > s.get("maximum").asDouble()) {
                errors.add(where + ": " + v + " > maximum " + s.get("maximum"));
            }
        }
        if (v.isObject()) {
            JsonNode props = s.path("properties");
            for (JsonNode r : s.path("required")) {
                if (!v.has(r.asText())) {
                    errors.add(where + ": missing required field '" + r.asText() + "'");
                }
            }
            for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (props.has(f)) {
                    check(props.get(f), v.get(f), at + "/" + f, errors);
                } else if (s.path("additionalProperties").isBoolean() && !s.get("additionalProperties").asBoolean()) {
                    errors.add(where + ": field '" + f + "' is not allowed");
                } else if (s.path("additionalProperties").isObject()) {
                    check(s.get("additionalProperties"), v.get(f), at + "/" + f, errors);
                }
            }
        }
        if (v.isArray()) {
            if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
                errors.add(where + ": fewer than minItems " + s.get("minItems").asInt());
            }
            if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) {
                errors.add(where + ": more than maxItems " + s.get("maxItems").asInt());
            }
            if (s.path("items").isObject()) {
                for (int i = 0; i < v.size(); i++) {
                    check(s.get("items"), v.get(i), at + "/" + i, errors);
                }
            }
        }
    }

    private static boolean isType(JsonNode v, String t) {
        return switch (t) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() || v.isNumber() && v.asDouble() == Math.rint(v.asDouble());
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> true;
        };
    }
}
