package dev.smelt.server.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.server.http.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tool part of a chat request: {@code tools}, {@code tool_choice} (auto / none / required /
 * {@code {"type":"function","function":{"name":…}}}) and {@code parallel_tool_calls}, validated with
 * 400s naming the field. Immutable.
 *
 * @param raw the tool definitions as plain maps, as chat templates expect them
 */
public record ToolRequest(List<ToolSpec> specs, List<Map<String, Object>> raw, Choice choice, String named, boolean parallel) {
    /** OpenAI's rule for function names. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,64}");

    public enum Choice { AUTO, NONE, REQUIRED, NAMED }

    /** No tools offered. */
    public static final ToolRequest NONE = new ToolRequest(List.of(), List.of(), Choice.NONE, null, true);

    /** True when the model must call a tool (enforced by constrained decoding). */
    public boolean forced() {
        return choice == Choice.REQUIRED || choice == Choice.NAMED;
    }

    /** True when calls should be parsed from the output and tools rendered into the prompt. */
    public boolean active() {
        return choice != Choice.NONE && !specs.isEmpty();
    }

    /** The tools a forced call may use. */
    public List<ToolSpec> forcedTools() {
        return choice == Choice.NAMED ? specs.stream().filter(s -> s.name().equals(named)).toList() : specs;
    }

    @SuppressWarnings("unchecked")
    public static ToolRequest parse(JsonNode body, com.fasterxml.jackson.databind.ObjectMapper mapper) {
        JsonNode tools = body.get("tools");
        List<ToolSpec> specs = new ArrayList<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw bad("'tools' must be an array of {\"type\": \"function\", \"function\": {...}}", "tools");
            }
            Set<String> names = new LinkedHashSet<>();
            for (int i = 0; i < tools.size(); i++) {
                ToolSpec s = spec(tools.get(i), "tools[" + i + "]");
                if (!names.add(s.name())) {
                    throw bad("tools[" + i + "].function.name '" + s.name() + "' is defined twice", "tools");
                }
                specs.add(s);
                raw.add(mapper.convertValue(tools.get(i), Map.class));
            }
        }
        boolean parallel = true;
        JsonNode p = body.get("parallel_tool_calls");
        if (p != null && !p.isNull()) {
            if (!p.isBoolean()) {
                throw bad("'parallel_tool_calls' must be a boolean, got " + p, "parallel_tool_calls");
            }
            parallel = p.asBoolean();
        }
        JsonNode c = body.get("tool_choice");
        Choice choice = specs.isEmpty() ? Choice.NONE : Choice.AUTO;
        String named = null;
        if (c != null && !c.isNull()) {
            if (c.isTextual()) {
                choice = switch (c.asText()) {
                    case "auto" -> specs.isEmpty() ? Choice.NONE : Choice.AUTO;
                    case "none" -> Choice.NONE;
                    case "required" -> Choice.REQUIRED;
                    default -> throw bad("'tool_choice' must be auto, none, required or {\"type\": \"function\", "
                            + "\"function\": {\"name\": ...}}, got '" + c.asText() + "'", "tool_choice");
                };
            } else if (c.isObject() && c.path("function").path("name").isTextual()) {
                if (c.has("type") && !"function".equals(c.path("type").asText())) {
                    throw bad("'tool_choice.type' must be 'function', got " + c.get("type"), "tool_choice");
                }
                choice = Choice.NAMED;
                named = c.path("function").path("name").asText();
                String n = named;
                if (specs.stream().noneMatch(s -> s.name().equals(n))) {
                    throw bad("'tool_choice' names function '" + named + "', which is not in 'tools'", "tool_choice");
                }
            } else {
                throw bad("'tool_choice' must be a string or {\"type\": \"function\", \"function\": {\"name\": ...}}, got " + c,
                        "tool_choice");
            }
            if (choice == Choice.REQUIRED && specs.isEmpty()) {
                throw bad("'tool_choice' is 'required' but no 'tools' were given", "tool_choice");
            }
        }
        return new ToolRequest(List.copyOf(specs), List.copyOf(raw), choice, named, parallel);
    }

    private static ToolSpec spec(JsonNode t, String where) {
        if (!t.isObject()) {
            throw bad(where + " must be an object, got " + t.getNodeType().name().toLowerCase(), "tools");
        }
        if (t.has("type") && !"function".equals(t.path("type").asText())) {
            throw bad(where + ".type must be 'function', got " + t.get("type"), "tools");
        }
        JsonNode f = t.get("function");
        if (f == null || !f.isObject()) {
            throw bad(where + ".function must be an object with a 'name'", "tools");
        }
        JsonNode name = f.get("name");
        if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
            throw bad(where + ".function.name must be 1-64 characters of a-z, A-Z, 0-9, '_', '.', '-', got " + name, "tools");
        }
        JsonNode desc = f.get("description");
        if (desc != null && !desc.isNull() && !desc.isTextual()) {
            throw bad(where + ".function.description must be a string", "tools");
        }
        JsonNode params = f.get("parameters");
        if (params != null && !params.isNull() && !params.isObject()) {
            throw bad(where + ".function.parameters must be a JSON schema object, got " + params.getNodeType().name().toLowerCase(), "tools");
        }
        return new ToolSpec(name.asText(), desc == null || desc.isNull() ? "" : desc.asText(), params == null || params.isNull() ? null : params);
    }

    private static ApiException bad(String message, String param) {
        return ApiException.badRequest(message, param);
    }
}
