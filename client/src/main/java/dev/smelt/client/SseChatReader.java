package dev.smelt.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * Reads an OpenAI chat completion streamed as server-sent events ({@code chat.completion.chunk} events
 * up to {@code data: [DONE]}) and assembles the equivalent non-streamed {@code chat.completion}, so a
 * streamed answer is cached, parsed and paid exactly like a plain one. Stateless.
 */
final class SseChatReader {
    private SseChatReader() {
    }

    /**
     * Passes each text delta to {@code onDelta} and appends it to {@code text}; returns the assembled
     * response, or null when the stream ended before {@code [DONE]}.
     *
     * @throws IOException              for an error event
     * @throws IllegalArgumentException for an event that is not JSON
     */
    static TeacherResponse read(Iterator<String> lines, StringBuilder text, Consumer<String> onDelta, ObjectNode body) throws IOException {
        ArrayNode lps = Canonical.JSON.createArrayNode();
        String finish = null;
        JsonNode usage = null;
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.startsWith("data:")) {
                continue; // comments (keep-alives), event names, blank separators
            }
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) {
                return assemble(body, text, finish, lps, usage);
            }
            JsonNode ev;
            try {
                ev = Canonical.JSON.readTree(data);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
            }
            if (ev.has("error")) {
                throw new IOException("error event: " + ev.get("error").path("message").asText(ev.get("error").toString()));
            }
            if (ev.path("usage").isObject()) {
                usage = ev.get("usage");
            }
            JsonNode ch = ev.path("choices").path(0);
            String d = ch.path("delta").path("content").asText("");
            if (!d.isEmpty()) {
                text.append(d);
                onDelta.accept(d);
            }
            ch.path("logprobs").path("content").forEach(lps::add);
            if (ch.path("finish_reason").isTextual()) {
                finish = ch.get("finish_reason").asText();
            }
        }
        return null;
    }

    /** The chat.completion the events describe; usage from the usage chunk, else estimated from characters. */
    private static TeacherResponse assemble(ObjectNode body, StringBuilder text, String finish, ArrayNode lps, JsonNode usage) {
        ObjectNode raw = Canonical.JSON.createObjectNode().put("object", "chat.completion").put("model", body.path("model").asText());
        ObjectNode choice = raw.putArray("choices").addObject().put("index", 0).put("finish_reason", finish);
        choice.putObject("message").put("role", "assistant").put("content", text.toString());
        if (!lps.isEmpty()) {
            choice.putObject("logprobs").set("content", lps);
        }
        long in = usage != null ? usage.path("prompt_tokens").asLong() : TokenEstimate.prompt(body);
        long out = usage != null ? usage.path("completion_tokens").asLong() : TokenEstimate.ofChars(text.length());
        raw.putObject("usage").put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
        return TeacherResponse.parse(raw, false);
    }
}
