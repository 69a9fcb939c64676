package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.store.StoredModel;
import java.util.Iterator;
import java.util.Map;

/**
 * A stored model's Modelfile defaults applied to a request before it is parsed: {@code SYSTEM} becomes the
 * system message when the request has none, {@code PARAMETER}s fill the options the request leaves out (the
 * request always wins). Ollama's names are the Modelfile's; for the OpenAI API {@code num_predict} is
 * {@code max_tokens} and {@code num_ctx} (a server setting there) is left out. Stateless.
 */
final class StoredDefaults {
    private StoredDefaults() {
    }

    /** The API a request body is in. */
    enum Api { OLLAMA_CHAT, OLLAMA_GENERATE, OPENAI_CHAT, OPENAI_COMPLETIONS }

    /** Applies the defaults of the stored model {@code body.model} names, if it names one. */
    static ObjectNode apply(ModelRegistry models, ObjectNode body, Api api) {
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual()) {
            return body; // the codec reports it
        }
        String canonical = models.canonical(m.asText());
        StoredModel st = canonical == null ? null : models.stored(canonical);
        if (st == null) {
            return body;
        }
        if (st.system() != null) {
            system(body, st.system(), api);
        }
        if (!st.parameters().isEmpty()) {
            options(body, st.parameters(), api);
        }
        return body;
    }

    private static void system(ObjectNode body, String system, Api api) {
        switch (api) {
            case OLLAMA_GENERATE -> {
                if (!body.hasNonNull("system")) {
                    body.put("system", system);
                }
            }
            case OLLAMA_CHAT, OPENAI_CHAT -> {
                JsonNode msgs = body.get("messages");
                if (msgs instanceof ArrayNode arr) {
                    for (JsonNode x : arr) {
                        if ("system".equals(x.path("role").asText()) || "developer".equals(x.path("role").asText())) {
                            return;
                        }
                    }
                    arr.insert(0, Json.MAPPER.createObjectNode().put("role", "system").put("content", system));
                }
            }
            case OPENAI_COMPLETIONS -> { } // a raw prompt has no messages
        }
    }

    private static void options(ObjectNode body, ObjectNode params, Api api) {
        boolean ollama = api == Api.OLLAMA_CHAT || api == Api.OLLAMA_GENERATE;
        ObjectNode target;
        if (ollama) {
            JsonNode o = body.get("options");
            if (o != null && !o.isNull() && !o.isObject()) {
                return; // the codec reports the bad options
            }
            target = o instanceof ObjectNode on ? on : body.putObject("options");
        } else {
            target = body;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (!ollama) {
                if (key.equals("num_ctx")) {
                    continue;
                }
                if (key.equals("num_predict")) {
                    if (body.has("max_completion_tokens")) {
                        continue;
                    }
                    key = "max_tokens";
                }
            }
            if (!target.has(key) || target.get(key).isNull()) {
                target.set(key, e.getValue().deepCopy());
            }
        }
    }
}
