package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.text.Quote;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.http.HttpApp;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;

/** Typed access to request JSON with OpenAI-style 400 errors naming the parameter. Stateless. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** The request body as a JSON object (strict UTF-8, 400s naming what is wrong): see {@link HttpApp#jsonBody}. */
    static ObjectNode parseObject(Context ctx) {
        return HttpApp.jsonBody(ctx);
    }

    static String string(JsonNode o, String field, String def) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("'" + field + "' must be a string, got " + v.getNodeType().name().toLowerCase(), field);
        }
        return v.asText();
    }

    static Double number(JsonNode o, String field, Double def, double min, double max) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isNumber()) {
            throw ApiException.badRequest("'" + field + "' must be a number, got " + v.getNodeType().name().toLowerCase(), field);
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw ApiException.badRequest("'" + field + "' must be between " + min + " and " + max + ", got " + Quote.cut(v), field);
        }
        return d;
    }

    static Integer integer(JsonNode o, String field, Integer def, long min, long max) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isIntegralNumber()) {
            throw ApiException.badRequest("'" + field + "' must be an integer, got " + Quote.cut(v), field);
        }
        long l = v.asLong();
        if (l < min || l > max || !v.canConvertToLong()) {
            throw ApiException.badRequest("'" + field + "' must be between " + min + " and " + max + ", got " + Quote.cut(v), field);
        }
        return (int) l;
    }

    static Long longValue(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.badRequest("'" + field + "' must be an integer, got " + Quote.cut(v), field);
        }
        return v.asLong();
    }

    static boolean bool(JsonNode o, String field, boolean def) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest("'" + field + "' must be a boolean, got " + Quote.cut(v), field);
        }
        return v.asBoolean();
    }

    /** 'stop': a string or an array of up to 4 strings (OpenAI's limit). */
    static List<String> stops(JsonNode o) {
        JsonNode v = o.get("stop");
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode s : v) {
                if (!s.isTextual()) {
                    throw ApiException.badRequest("'stop' entries must be strings, got " + Quote.cut(s), "stop");
                }
                out.add(s.asText());
            }
            if (out.size() > 4) {
                throw ApiException.badRequest("'stop' allows at most 4 sequences, got " + out.size(), "stop");
            }
        } else {
            throw ApiException.badRequest("'stop' must be a string or an array of strings", "stop");
        }
        out.removeIf(String::isEmpty);
        return out;
    }
}
