package dev.smelt.server.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * For models whose chat template cannot render tools (no template: the ChatML fallback), rewrites the
 * conversation the way Qwen2.5's template renders tools (Hermes format): a system section listing the
 * functions inside {@code <tools>}, earlier calls as {@code <tool_call>} text in assistant turns, and
 * tool results as {@code <tool_response>} in a user turn. Stateless.
 */
public final class FallbackToolPrompt {
    private FallbackToolPrompt() {
    }

    public static List<Map<String, Object>> rewrite(List<Map<String, Object>> messages, List<Map<String, Object>> tools) {
        List<Map<String, Object>> out = new ArrayList<>();
        String toolSection = tools == null || tools.isEmpty() ? null : toolSection(tools);
        int start = 0;
        if (toolSection != null) {
            String system = "";
            if (!messages.isEmpty() && isSystem(messages.get(0))) {
                system = String.valueOf(messages.get(0).getOrDefault("content", "")) + "\n\n";
                start = 1;
            }
            out.add(message("system", system + toolSection));
        }
        for (int i = start; i < messages.size(); i++) {
            Map<String, Object> m = messages.get(i);
            String role = String.valueOf(m.get("role"));
            if ("tool".equals(role)) {
                StringBuilder sb = new StringBuilder();
                while (i < messages.size() && "tool".equals(messages.get(i).get("role"))) {
                    sb.append(sb.isEmpty() ? "" : "\n").append("<tool_response>\n")
                            .append(messages.get(i).getOrDefault("content", "")).append("\n</tool_response>");
                    i++;
                }
                i--;
                out.add(message("user", sb.toString()));
            } else if ("assistant".equals(role) && m.get("tool_calls") instanceof List<?> calls && !calls.isEmpty()) {
                StringBuilder sb = new StringBuilder(m.get("content") == null ? "" : String.valueOf(m.get("content")));
                for (Object c : calls) {
                    Map<?, ?> f = (Map<?, ?>) ((Map<?, ?>) c).get("function");
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("name", f.get("name"));
                    call.put("arguments", f.get("arguments"));
                    sb.append(sb.isEmpty() ? "" : "\n").append("<tool_call>\n").append(json(call)).append("\n</tool_call>");
                }
                out.add(message("assistant", sb.toString()));
            } else {
                out.add(m);
            }
        }
        return out;
    }

    private static boolean isSystem(Map<String, Object> m) {
        return "system".equals(m.get("role")) || "developer".equals(m.get("role"));
    }

    private static String toolSection(List<Map<String, Object>> tools) {
        StringBuilder sb = new StringBuilder("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
        for (Map<String, Object> t : tools) {
            sb.append('\n').append(json(t));
        }
        sb.append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
        return sb.toString();
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static String json(Object o) {
        try {
            return ToolFormat.JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("tool definition is not serializable: " + e.getMessage(), e);
        }
    }
}
