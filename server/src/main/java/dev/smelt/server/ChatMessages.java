package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.server.http.ApiException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates OpenAI chat messages and converts them to the plain maps chat templates expect: text
 * parts joined, assistant {@code tool_calls} with their JSON-string {@code arguments} parsed into
 * objects (Hugging Face templates render them with {@code tojson}), tool results given the called
 * function's {@code name}. Errors are 400s naming {@code messages[i]…}. Stateless.
 */
final class ChatMessages {
    private static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool");

    private ChatMessages() {
    }

    static List<Map<String, Object>> parse(JsonNode msgs) {
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
            throw ApiException.badRequest("'messages' must be a non-empty array", "messages");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, String> callNames = new HashMap<>(); // tool_call_id → function name
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode msg = msgs.get(i);
            String at = "messages[" + i + "]";
            if (!msg.isObject() || !msg.path("role").isTextual()) {
                throw ApiException.badRequest(at + " must be an object with a string 'role'", "messages");
            }
            String role = msg.get("role").asText();
            if (!ROLES.contains(role)) {
                throw ApiException.badRequest(at + ".role '" + role + "' is not one of system, developer, user, assistant, tool", "messages");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", role);
            m.put("content", content(msg.get("content"), at, role, msg.has("tool_calls")));
            if (msg.path("name").isTextual()) {
                m.put("name", msg.get("name").asText());
            }
            if (msg.hasNonNull("tool_calls")) {
                if (!"assistant".equals(role)) {
                    throw ApiException.badRequest(at + ".tool_calls is only allowed on assistant messages", "messages");
                }
                m.put("tool_calls", toolCalls(msg.get("tool_calls"), at, callNames));
            }
            if ("tool".equals(role)) {
                JsonNode id = msg.get("tool_call_id");
                if (id != null && !id.isNull() && !id.isTextual()) {
                    throw ApiException.badRequest(at + ".tool_call_id must be a string", "messages");
                }
                if (id != null && id.isTextual()) {
                    m.put("tool_call_id", id.asText());
                    if (!m.containsKey("name") && callNames.containsKey(id.asText())) {
                        m.put("name", callNames.get(id.asText()));
                    }
                }
            }
            out.add(m);
        }
        return out;
    }

    private static String content(JsonNode content, String at, String role, boolean hasCalls) {
        if (content == null || content.isNull()) {
            if ("assistant".equals(role)) {
                return ""; // allowed with tool_calls (and for prefilled empty turns)
            }
            throw ApiException.badRequest(at + ".content is required for role '" + role + "'", "messages");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder(); // text parts are concatenated, as llama-server does
            for (int j = 0; j < content.size(); j++) {
                JsonNode part = content.get(j);
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest(at + ".content[" + j + "] must be {\"type\": \"text\", \"text\": ...}, got type '"
                            + part.path("type").asText() + "' (text only)", "messages");
                }
                sb.append(part.path("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.badRequest(at + ".content must be a string or an array of text parts, got "
                + content.getNodeType().name().toLowerCase(), "messages");
    }

    private static List<Map<String, Object>> toolCalls(JsonNode calls, String at, Map<String, String> callNames) {
        if (!calls.isArray()) {
            throw ApiException.badRequest(at + ".tool_calls must be an array", "messages");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int j = 0; j < calls.size(); j++) {
            JsonNode c = calls.get(j);
            String where = at + ".tool_calls[" + j + "]";
            JsonNode f = c.path("function");
            if (!f.path("name").isTextual()) {
                throw ApiException.badRequest(where + ".function.name must be a string", "messages");
            }
            JsonNode args = f.get("arguments");
            Object parsed;
            if (args == null || args.isNull()) {
                parsed = Map.of();
            } else if (args.isTextual()) {
                try {
                    parsed = Json.MAPPER.readValue(args.asText().isBlank() ? "{}" : args.asText(), Object.class);
                } catch (Exception e) {
                    throw ApiException.badRequest(where + ".function.arguments is not valid JSON: "
                            + e.getMessage().lines().findFirst().orElse(""), "messages");
                }
            } else if (args.isObject()) {
                parsed = Json.MAPPER.convertValue(args, Map.class);
            } else {
                throw ApiException.badRequest(where + ".function.arguments must be a JSON string", "messages");
            }
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", f.get("name").asText());
            fn.put("arguments", parsed);
            Map<String, Object> call = new LinkedHashMap<>();
            String id = c.path("id").asText("call_" + j);
            call.put("id", id);
            call.put("type", "function");
            call.put("function", fn);
            callNames.put(id, f.get("name").asText());
            out.add(call);
        }
        return out;
    }
}
