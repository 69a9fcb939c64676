package dev.smelt.server;

import java.util.List;
import java.util.Map;

/** Renders a conversation into prompt text with the model's chat template. Thread-safe. */
public interface ChatRenderer {
    /**
     * @param messages OpenAI-style messages (role, content, tool_calls, tool_call_id, name), as parsed JSON
     * @param tools    tool definitions or null
     */
    String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt);
}
