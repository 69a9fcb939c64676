package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.model.text.Quote;
import dev.smelt.server.http.ApiException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The fields one endpoint understands, so that a field a client set is never silently ignored: each is
 * honoured, accepted because it cannot change the answer here ({@code user}, {@code metadata}: smelt
 * stores nothing and bills nobody; Ollama's GPU and thread hints), accepted only at its default value
 * ({@code best_of: 1}, {@code modalities: ["text"]}), or answered 400 "unsupported parameter: NAME". An
 * explicit {@code null} counts as not set, as OpenAI's SDKs send it. Immutable, thread-safe.
 */
final class RequestFields {
    private final Set<String> honoured;
    private final Set<String> noEffect;
    private final Map<String, Predicate<JsonNode>> defaultOnly;
    private final Map<String, String> why;

    private RequestFields(Set<String> honoured, Set<String> noEffect, Map<String, Predicate<JsonNode>> defaultOnly, Map<String, String> why) {
        this.honoured = honoured;
        this.noEffect = noEffect;
        this.defaultOnly = defaultOnly;
        this.why = why;
    }

    static RequestFields honouring(String... fields) {
        return new RequestFields(Set.of(fields), Set.of(), Map.of(), Map.of());
    }

    /** Also accepts {@code fields} that cannot change the answer here. */
    RequestFields noEffect(String... fields) {
        return new RequestFields(honoured, Set.of(fields), defaultOnly, why);
    }

    /** Also accepts {@code field} when {@code isDefault} holds for its value; any other value is a 400 saying {@code reason}. */
    RequestFields onlyDefault(String field, Predicate<JsonNode> isDefault, String reason) {
        Map<String, Predicate<JsonNode>> d = new HashMap<>(defaultOnly);
        d.put(field, isDefault);
        Map<String, String> w = new HashMap<>(why);
        w.put(field, reason);
        return new RequestFields(honoured, noEffect, Map.copyOf(d), Map.copyOf(w));
    }

    /** 400 "unsupported parameter: PREFIX.NAME" for the first field of {@code o} this endpoint cannot honour. */
    void check(JsonNode o, String prefix) {
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String f = e.getKey();
            if (e.getValue().isNull() || honoured.contains(f) || noEffect.contains(f)) {
                continue;
            }
            Predicate<JsonNode> d = defaultOnly.get(f);
            if (d != null && d.test(e.getValue())) {
                continue;
            }
            throw ApiException.unsupported(Quote.cut(prefix + f), why.get(f)); // a request's key can be any length
        }
    }

    static boolean isFalse(JsonNode v) {
        return v.isBoolean() && !v.asBoolean();
    }

    static boolean isEmptyText(JsonNode v) {
        return v.isTextual() && v.asText().isEmpty();
    }

    static boolean isEmptyArray(JsonNode v) {
        return v.isArray() && v.isEmpty();
    }

    static boolean isNumber(JsonNode v, double value) {
        return v.isNumber() && v.asDouble() == value;
    }
}
