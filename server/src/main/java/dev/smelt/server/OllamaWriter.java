package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.server.tools.ToolCall;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Ollama's answers for one request: NDJSON lines ({@code {"model", "created_at", "message"|"response",
 * "done": false}}) and a last line with {@code done_reason}, token counts and durations in nanoseconds,
 * and for {@code /api/generate} the {@code context} token ids to send with the next request.
 *
 * @param chat /api/chat (a {@code message}) rather than /api/generate (a {@code response})
 */
record OllamaWriter(String model, boolean chat, Clock clock) implements CompletionWriter {

    @Override
    public String streamContentType() {
        return "application/x-ndjson";
    }

    @Override
    public void open(OutputStream out, int n) {
    }

    @Override
    public void delta(OutputStream out, int index, String text, List<CompletionJob.TokenLogprob> logprobs) throws IOException {
        if (!text.isEmpty()) {
            line(out, chunk(text, List.of(), false));
        }
    }

    @Override
    public void choiceEnd(OutputStream out, Choice c) {
        // Ollama's last line carries the end of the one choice: written by close
    }

    @Override
    public void close(OutputStream out, List<Choice> choices, Usage usage) throws IOException {
        line(out, last(choices.getFirst(), usage));
    }

    @Override
    public void error(OutputStream out, String message) throws IOException {
        line(out, Json.MAPPER.createObjectNode().put("error", message));
    }

    @Override
    public void keepAlive(OutputStream out) {
        // NDJSON has no comment line; a long prompt just keeps the stream quiet
    }

    @Override
    public ObjectNode full(List<Choice> choices, Usage usage) {
        return last(choices.getFirst(), usage);
    }

    @Override
    public ObjectNode loaded(long loadNanos) {
        ObjectNode o = chunk("", List.of(), true);
        o.put("done_reason", "load").put("total_duration", loadNanos).put("load_duration", loadNanos);
        return o;
    }

    private ObjectNode last(Choice c, Usage u) {
        ObjectNode o = chunk(c.content() == null ? "" : c.content(), c.calls(), true);
        o.put("done_reason", "length".equals(c.finishReason()) ? "length" : "stop");
        GenerationResult r = c.result();
        long total = System.nanoTime() - u.startNanos();
        long firstToken = r != null && r.firstTokenNanos() > 0 ? r.firstTokenNanos() : total;
        long promptEval = Math.max(0, firstToken - (r != null ? r.queueNanos() : 0));
        o.put("total_duration", total).put("load_duration", u.loadNanos())
                .put("prompt_eval_count", u.promptTokens() - (r != null ? r.cachedTokens() : 0)).put("prompt_eval_duration", promptEval)
                .put("eval_count", u.completionTokens()).put("eval_duration", Math.max(0, (r != null ? r.totalNanos() : total) - firstToken));
        if (!chat && u.context() != null) {
            ArrayNode ctx = o.putArray("context");
            for (int t : u.context()) {
                ctx.add(t);
            }
        }
        return o;
    }

    private ObjectNode chunk(String text, List<ToolCall> calls, boolean done) {
        ObjectNode o = Json.MAPPER.createObjectNode().put("model", model).put("created_at", Instant.now(clock).toString());
        if (chat) {
            ObjectNode msg = o.putObject("message").put("role", "assistant").put("content", text);
            if (!calls.isEmpty()) {
                ArrayNode tc = msg.putArray("tool_calls");
                for (ToolCall c : calls) {
                    ObjectNode f = tc.addObject().putObject("function").put("name", c.name());
                    try {
                        f.set("arguments", Json.MAPPER.readTree(c.arguments())); // Ollama sends arguments as an object
                    } catch (IOException e) {
                        throw new IllegalStateException("parsed tool arguments are JSON by construction", e);
                    }
                }
            }
        } else {
            o.put("response", text);
        }
        o.put("done", done);
        return o;
    }

    private static void line(OutputStream out, ObjectNode o) throws IOException {
        out.write((o + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
