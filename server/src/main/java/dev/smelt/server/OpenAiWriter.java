package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.server.tools.ToolCall;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * OpenAI's response objects and stream chunks ({@code data: …} server-sent events, {@code data: [DONE]},
 * {@code :} keep-alive comments while a long prompt is processed) for one request.
 *
 * @param chat          chat.completion(s) (else text_completion)
 * @param logprobs      −1 when the request asked for none
 * @param echo          the prompt text each choice starts with, or null
 * @param includeUsage  a usage chunk ends the stream
 */
record OpenAiWriter(String id, long created, String model, boolean chat, int logprobs, String echo, boolean includeUsage)
        implements CompletionWriter {

    @Override
    public String streamContentType() {
        return "text/event-stream";
    }

    @Override
    public void open(OutputStream out, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            if (chat) {
                send(out, roleChunk(i));
            } else if (echo != null) {
                send(out, deltaChunk(i, echo, List.of()));
            }
        }
    }

    @Override
    public void delta(OutputStream out, int index, String text, List<CompletionJob.TokenLogprob> lp) throws IOException {
        if (!text.isEmpty() || (logprobs >= 0 && !lp.isEmpty())) {
            send(out, deltaChunk(index, text, lp));
        }
    }

    @Override
    public void choiceEnd(OutputStream out, Choice c) throws IOException {
        if (c.content() != null && !c.content().isEmpty()) {
            send(out, deltaChunk(c.index(), c.content(), List.of()));
        }
        for (int k = 0; k < c.calls().size(); k++) {
            send(out, toolCallStartChunk(c.index(), k, c.calls().get(k)));
            send(out, toolCallArgumentsChunk(c.index(), k, c.calls().get(k).arguments()));
        }
        send(out, finishChunk(c.index(), c.openAiFinish()));
    }

    @Override
    public void close(OutputStream out, List<Choice> choices, Usage usage) throws IOException {
        if (includeUsage) {
            send(out, usageChunk(usage.promptTokens(), usage.completionTokens()));
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void error(OutputStream out, String message) throws IOException {
        ObjectNode err = Json.MAPPER.createObjectNode();
        err.putObject("error").put("message", message).put("type", "server_error");
        send(out, err);
    }

    @Override
    public void keepAlive(OutputStream out) throws IOException {
        out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public ObjectNode loaded(long loadNanos) {
        throw new IllegalStateException("OpenAI requests always generate");
    }

    @Override
    public ObjectNode full(List<Choice> choices, Usage usage) {
        ObjectNode o = header(chat ? "chat.completion" : "text_completion");
        ArrayNode arr = o.putArray("choices");
        for (Choice ch : choices) {
            ObjectNode c = arr.addObject().put("index", ch.index());
            if (chat) {
                ObjectNode msg = c.putObject("message").put("role", "assistant");
                msg.put("content", ch.content());
                if (!ch.calls().isEmpty()) {
                    ArrayNode calls = msg.putArray("tool_calls");
                    for (ToolCall tc : ch.calls()) {
                        calls.addObject().put("id", tc.id()).put("type", "function")
                                .putObject("function").put("name", tc.name()).put("arguments", tc.arguments());
                    }
                }
            } else {
                c.put("text", (echo == null ? "" : echo) + ch.content());
            }
            if (logprobs >= 0) {
                c.set("logprobs", logprobsNode(ch.logprobs()));
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", ch.openAiFinish());
        }
        usage(o, usage.promptTokens(), usage.completionTokens());
        return o;
    }

    private static void send(OutputStream out, ObjectNode chunk) throws IOException {
        out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    ObjectNode roleChunk(int index) {
        ObjectNode o = header("chat.completion.chunk");
        ObjectNode c = o.putArray("choices").addObject().put("index", index);
        c.putObject("delta").put("role", "assistant").put("content", "");
        c.putNull("logprobs");
        c.putNull("finish_reason");
        return o;
    }

    ObjectNode deltaChunk(int index, String text, List<CompletionJob.TokenLogprob> lp) {
        ObjectNode o = header(chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode c = o.putArray("choices").addObject().put("index", index);
        if (chat) {
            c.putObject("delta").put("content", text);
        } else {
            c.put("text", text);
        }
        if (logprobs >= 0 && !lp.isEmpty()) {
            c.set("logprobs", logprobsNode(lp));
        } else {
            c.putNull("logprobs");
        }
        c.putNull("finish_reason");
        return o;
    }

    /** First chunk of tool call {@code k}: id, type, name and empty arguments (OpenAI's stream shape). */
    ObjectNode toolCallStartChunk(int index, int k, ToolCall call) {
        ObjectNode o = header("chat.completion.chunk");
        ObjectNode c = o.putArray("choices").addObject().put("index", index);
        ObjectNode tc = c.putObject("delta").putArray("tool_calls").addObject().put("index", k).put("id", call.id()).put("type", "function");
        tc.putObject("function").put("name", call.name()).put("arguments", "");
        c.putNull("logprobs");
        c.putNull("finish_reason");
        return o;
    }

    /** An arguments fragment of tool call {@code k} (always a JSON string, never an object). */
    ObjectNode toolCallArgumentsChunk(int index, int k, String arguments) {
        ObjectNode o = header("chat.completion.chunk");
        ObjectNode c = o.putArray("choices").addObject().put("index", index);
        c.putObject("delta").putArray("tool_calls").addObject().put("index", k).putObject("function").put("arguments", arguments);
        c.putNull("logprobs");
        c.putNull("finish_reason");
        return o;
    }

    ObjectNode finishChunk(int index, String reason) {
        ObjectNode o = header(chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode c = o.putArray("choices").addObject().put("index", index);
        if (chat) {
            c.putObject("delta");
        } else {
            c.put("text", "");
        }
        c.putNull("logprobs");
        c.put("finish_reason", reason);
        return o;
    }

    ObjectNode usageChunk(int promptTokens, int completionTokens) {
        ObjectNode o = header(chat ? "chat.completion.chunk" : "text_completion");
        o.putArray("choices");
        usage(o, promptTokens, completionTokens);
        return o;
    }

    private ObjectNode header(String object) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id).put("object", object).put("created", created).put("model", model);
        o.put("system_fingerprint", "smelt-0.1.0");
        return o;
    }

    private static void usage(ObjectNode o, int prompt, int completion) {
        o.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }

    private ObjectNode logprobsNode(List<CompletionJob.TokenLogprob> lp) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        if (chat) {
            ArrayNode content = n.putArray("content");
            for (CompletionJob.TokenLogprob t : lp) {
                ObjectNode e = tokenNode(t);
                ArrayNode top = e.putArray("top_logprobs");
                for (CompletionJob.TokenLogprob alt : t.top()) {
                    top.add(tokenNode(alt));
                }
                content.add(e);
            }
        } else {
            ArrayNode tokens = n.putArray("tokens");
            ArrayNode tlp = n.putArray("token_logprobs");
            ArrayNode top = n.putArray("top_logprobs");
            for (CompletionJob.TokenLogprob t : lp) {
                tokens.add(t.text());
                tlp.add(t.logprob());
                ObjectNode alts = top.addObject();
                for (CompletionJob.TokenLogprob alt : t.top()) {
                    alts.put(alt.text(), alt.logprob());
                }
            }
        }
        return n;
    }

    private static ObjectNode tokenNode(CompletionJob.TokenLogprob t) {
        ObjectNode e = Json.MAPPER.createObjectNode().put("token", t.text()).put("logprob", t.logprob());
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : t.bytes()) {
            bytes.add(b & 0xFF);
        }
        return e;
    }
}
