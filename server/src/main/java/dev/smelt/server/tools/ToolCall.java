package dev.smelt.server.tools;

/**
 * One function call parsed from model output.
 *
 * @param id        call id ({@code call_…}), unique within a response
 * @param name      function name
 * @param arguments the arguments as a JSON text (OpenAI sends a string, never an object)
 */
public record ToolCall(String id, String name, String arguments) {
}
