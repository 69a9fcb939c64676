package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.server.tools.ToolCall;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Writes what {@link CompletionPipeline} produced in one API's shape: as one JSON object, or as a stream
 * (OpenAI's server-sent events, Ollama's NDJSON). One writer per API ({@link OpenAiWriter},
 * {@link OllamaWriter}), one instance per request. Not thread-safe: the request's thread uses it.
 */
interface CompletionWriter {
    /** One finished choice. */
    record Choice(int index, String content, List<CompletionJob.TokenLogprob> logprobs, List<ToolCall> calls, String finishReason,
                  GenerationResult result) {
        /** OpenAI's finish_reason: tool_calls when the choice called tools, length at the limit, else stop. */
        String openAiFinish() {
            return !calls.isEmpty() ? "tool_calls" : "length".equals(finishReason) ? "length" : "stop";
        }
    }

    /**
     * Token counts and timings of the whole request.
     *
     * @param startNanos when the request arrived ({@link System#nanoTime})
     * @param context    the prompt and answer token ids (Ollama's generate returns them), or null
     */
    record Usage(int promptTokens, int completionTokens, long startNanos, long loadNanos, int[] context) {
    }

    /** Content-Type of a streamed answer. */
    String streamContentType();

    /** What a stream starts with (OpenAI chat: the role chunks; completions with echo: the prompt). */
    void open(OutputStream out, int n) throws IOException;

    /** New text (and log-probabilities) of choice {@code index}. */
    void delta(OutputStream out, int index, String text, List<CompletionJob.TokenLogprob> logprobs) throws IOException;

    /** Choice {@code c} finished; {@code c.content()} is the text not streamed yet. */
    void choiceEnd(OutputStream out, Choice c) throws IOException;

    /** Every choice finished: the stream's last lines. */
    void close(OutputStream out, List<Choice> choices, Usage usage) throws IOException;

    /** Generation failed mid-stream (the status line is long sent). */
    void error(OutputStream out, String message) throws IOException;

    /** Nothing was generated for a while: keep proxies from closing an idle stream, where the format allows. */
    void keepAlive(OutputStream out) throws IOException;

    /** The whole answer as one object; each choice's content is its full text. */
    ObjectNode full(List<Choice> choices, Usage usage);

    /** The answer to a request that only loads the model (Ollama's empty prompt). */
    ObjectNode loaded(long loadNanos);
}
