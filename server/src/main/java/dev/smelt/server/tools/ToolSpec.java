package dev.smelt.server.tools;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One function the client offers ({@code tools[i].function}).
 *
 * @param parameters the JSON schema of the arguments (an object schema; {@code {"type":"object"}} when absent)
 */
public record ToolSpec(String name, String description, JsonNode parameters) {
}
