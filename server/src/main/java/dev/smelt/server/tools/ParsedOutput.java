package dev.smelt.server.tools;

import java.util.List;

/** Model output split into user-visible text and tool calls; {@code content} is null when only calls were made. */
public record ParsedOutput(String content, List<ToolCall> calls) {
    public ParsedOutput {
        calls = List.copyOf(calls);
    }

    public static ParsedOutput text(String content) {
        return new ParsedOutput(content, List.of());
    }
}
