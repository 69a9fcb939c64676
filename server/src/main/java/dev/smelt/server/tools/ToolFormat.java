package dev.smelt.server.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * How a model family writes tool calls, chosen from its chat template (as llama.cpp's chat parsers
 * do): Qwen/Hermes {@code <tool_call>{"name", "arguments"}</tool_call>}, Llama 3.x a bare JSON object
 * {@code {"name", "parameters"}} (optionally after {@code <|python_tag|>}), Mistral
 * {@code [TOOL_CALLS][{"name", "arguments"}]} or the newer {@code [TOOL_CALLS]name[ARGS]{…}}.
 * Parsing never loses text: output that does not parse as calls is returned as content. Stateless.
 */
public enum ToolFormat {
    HERMES("<tool_call>"),
    LLAMA3_JSON("{"),
    MISTRAL("[TOOL_CALLS]");

    static final ObjectMapper JSON = new ObjectMapper();
    private static final String HERMES_END = "</tool_call>";
    private static final String PYTHON_TAG = "<|python_tag|>";
    private static final String MISTRAL_ARGS = "[ARGS]";

    private final String marker;

    ToolFormat(String marker) {
        this.marker = marker;
    }

    /** The text that opens a call in this format. */
    public String marker() {
        return marker;
    }

    /**
     * The format for a chat template (null: no template, ChatML fallback → Hermes, the format the
     * fallback tool prompt teaches).
     */
    public static ToolFormat detect(String templateSource) {
        if (templateSource == null) {
            return HERMES;
        }
        if (templateSource.contains("[TOOL_CALLS]")) {
            return MISTRAL;
        }
        if (templateSource.contains("<tool_call>")) {
            return HERMES;
        }
        if (templateSource.contains(PYTHON_TAG) || templateSource.contains("<|start_header_id|>")) {
            return LLAMA3_JSON;
        }
        return HERMES;
    }

    /** Tokens the detokenizer must show (not skip as control tokens) so calls can be parsed. */
    public List<String> markerTokens() {
        return switch (this) {
            case HERMES -> List.of("<tool_call>", HERMES_END);
            case LLAMA3_JSON -> List.of(PYTHON_TAG);
            case MISTRAL -> List.of("[TOOL_CALLS]", MISTRAL_ARGS);
        };
    }

    /** Appended to the prompt when a call is forced; constrained decoding then writes only the JSON. */
    public String forcedPrefix() {
        return switch (this) {
            case HERMES -> "<tool_call>\n";
            case LLAMA3_JSON -> "";
            case MISTRAL -> "[TOOL_CALLS]";
        };
    }

    /**
     * The JSON schema a forced call must satisfy: one call of one of {@code tools} (Mistral: an array of
     * calls, at most one unless {@code parallel}). Argument schemas are {@link ToolSchemas#relax relaxed}.
     */
    public ObjectNode forcedSchema(List<ToolSpec> tools, boolean parallel) {
        ArrayNode options = JSON.createArrayNode();
        String argsKey = this == LLAMA3_JSON ? "parameters" : "arguments";
        for (ToolSpec t : tools) {
            ObjectNode one = options.addObject().put("type", "object");
            ObjectNode props = one.putObject("properties");
            props.putObject("name").put("const", t.name());
            props.set(argsKey, ToolSchemas.relax(t.parameters()));
            one.putArray("required").add("name").add(argsKey);
        }
        ObjectNode call = options.size() == 1 ? (ObjectNode) options.get(0) : JSON.createObjectNode().set("anyOf", options);
        if (this != MISTRAL) {
            return call;
        }
        ObjectNode arr = JSON.createObjectNode().put("type", "array").put("minItems", 1);
        arr.set("items", call);
        if (!parallel) {
            arr.put("maxItems", 1);
        }
        return arr;
    }

    /**
     * Splits output into content and calls; ids are {@code idPrefix + "_" + index}.
     */
    public ParsedOutput parse(String text, String idPrefix) {
        List<ToolCall> calls = switch (this) {
            case HERMES -> parseHermes(text, idPrefix);
            case LLAMA3_JSON -> parseLlama(text, idPrefix);
            case MISTRAL -> parseMistral(text, idPrefix);
        };
        if (calls == null || calls.isEmpty()) {
            return ParsedOutput.text(text);
        }
        String content = switch (this) {
            case HERMES -> hermesContent(text);
            case LLAMA3_JSON -> "";
            case MISTRAL -> text.substring(0, text.indexOf(marker));
        };
        content = content.strip();
        return new ParsedOutput(content.isEmpty() ? null : content, calls);
    }

    /**
     * For streaming: the length of the prefix of {@code text} that can be shown as content now, i.e.
     * that cannot belong to a tool call. Text from a (possible) call marker on is held back.
     */
    public int safeContentLength(String text) {
        if (this == LLAMA3_JSON) {
            String s = text.stripLeading();
            if (s.isEmpty() || s.startsWith("{") || PYTHON_TAG.startsWith(s) || s.startsWith(PYTHON_TAG)) {
                return 0; // a Llama call is the whole message: hold until it is clearly text
            }
            return text.length();
        }
        int at = text.indexOf(marker);
        if (at >= 0) {
            return at;
        }
        for (int k = Math.min(marker.length() - 1, text.length()); k > 0; k--) {
            if (text.regionMatches(text.length() - k, marker, 0, k)) {
                return text.length() - k;
            }
        }
        return text.length();
    }

    private List<ToolCall> parseHermes(String text, String idPrefix) {
        List<ToolCall> calls = new ArrayList<>();
        int i = 0;
        while (true) {
            int s = text.indexOf(marker, i);
            if (s < 0) {
                return calls;
            }
            int e = text.indexOf(HERMES_END, s);
            String body = e < 0 ? text.substring(s + marker.length()) : text.substring(s + marker.length(), e);
            ToolCall c = fromJson(body, idPrefix, calls.size());
            if (c == null) {
                return null;
            }
            calls.add(c);
            i = e < 0 ? text.length() : e + HERMES_END.length();
        }
    }

    private String hermesContent(String text) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int s = text.indexOf(marker, i);
            if (s < 0) {
                sb.append(text, i, text.length());
                break;
            }
            sb.append(text, i, s);
            int e = text.indexOf(HERMES_END, s);
            i = e < 0 ? text.length() : e + HERMES_END.length();
        }
        return sb.toString();
    }

    private static List<ToolCall> parseLlama(String text, String idPrefix) {
        String s = text.strip();
        if (s.startsWith(PYTHON_TAG)) {
            s = s.substring(PYTHON_TAG.length()).strip();
        }
        if (!s.startsWith("{")) {
            return null;
        }
        List<String> objects = JsonObjects.split(s, ";");
        if (objects == null) {
            return null;
        }
        List<ToolCall> calls = new ArrayList<>();
        for (String o : objects) {
            ToolCall c = fromJson(o, idPrefix, calls.size());
            if (c == null) {
                return null;
            }
            calls.add(c);
        }
        return calls;
    }

    private List<ToolCall> parseMistral(String text, String idPrefix) {
        int at = text.indexOf(marker);
        if (at < 0) {
            return null;
        }
        String rest = text.substring(at + marker.length()).strip();
        List<ToolCall> calls = new ArrayList<>();
        if (rest.startsWith("[")) {
            JsonNode arr;
            try {
                arr = JSON.readTree(rest);
            } catch (Exception e) {
                return null;
            }
            if (!arr.isArray()) {
                return null;
            }
            for (JsonNode n : arr) {
                ToolCall c = fromNode(n, idPrefix, calls.size());
                if (c == null) {
                    return null;
                }
                calls.add(c);
            }
            return calls;
        }
        for (String part : rest.split(java.util.regex.Pattern.quote(marker))) {
            int a = part.indexOf(MISTRAL_ARGS);
            if (a < 0) {
                return null;
            }
            String name = part.substring(0, a).strip();
            String args = canonicalArguments(part.substring(a + MISTRAL_ARGS.length()).strip());
            if (name.isEmpty() || args == null) {
                return null;
            }
            calls.add(new ToolCall(idPrefix + "_" + calls.size(), name, args));
        }
        return calls;
    }

    private static ToolCall fromJson(String body, String idPrefix, int index) {
        try {
            return fromNode(JSON.readTree(body.strip()), idPrefix, index);
        } catch (Exception e) {
            return null;
        }
    }

    private static ToolCall fromNode(JsonNode n, String idPrefix, int index) {
        if (n == null || !n.isObject() || !n.path("name").isTextual() || n.path("name").asText().isBlank()) {
            return null;
        }
        JsonNode args = n.has("arguments") ? n.get("arguments") : n.get("parameters");
        String argText;
        if (args == null || args.isNull()) {
            argText = "{}";
        } else if (args.isTextual()) {
            argText = canonicalArguments(args.asText()); // some models write the arguments as a JSON string
            if (argText == null) {
                return null;
            }
        } else {
            argText = args.toString();
        }
        return new ToolCall(idPrefix + "_" + index, n.get("name").asText(), argText);
    }

    /** Compact JSON text of {@code s}, or null when it is not a JSON object. */
    private static String canonicalArguments(String s) {
        try {
            JsonNode n = JSON.readTree(s);
            return n != null && n.isObject() ? n.toString() : null;
        } catch (Exception e) {
            return null;
        }
    }
}
