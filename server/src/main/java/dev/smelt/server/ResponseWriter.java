package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Builds OpenAI response objects and stream chunks for one request. Immutable, thread-safe. */
record ResponseWriter(String id, long created, String model, boolean chat, int logprobs) {

    static String finishReason(String engineReason) {
        return switch (engineReason) {
            case "length" -> "length";
            case "cancelled" -> "stop";
            default -> "stop";
        };
    }

    /** @param parsed per choice content and tool calls (chat with tools), or null */
    ObjectNode full(StringBuilder[] texts, dev.smelt.server.tools.ParsedOutput[] parsed, List<List<CompletionJob.TokenLogprob>> lps,
                    String[] finish, int promptTokens, int completionTokens) {
        ObjectNode o = header(chat ? "chat.completion" : "text_completion");
        ArrayNode choices = o.putArray("choices");
        for (int i = 0; i < texts.length; i++) {
            ObjectNode c = choices.addObject().put("index", i);
            if (chat && parsed != null) {
                ObjectNode msg = c.putObject("message").put("role", "assistant");
                msg.put("content", parsed[i].content());
                if (!parsed[i].calls().isEmpty()) {
                    ArrayNode calls = msg.putArray("tool_calls");
                    for (dev.smelt.server.tools.ToolCall tc : parsed[i].calls()) {
                        calls.addObject().put("id", tc.id()).put("type", "function")
                                .putObject("function").put("name", tc.name()).put("arguments", tc.arguments());
                    }
                }
            } else if (chat) {
                c.putObject("message").put("role", "assistant").put("content", texts[i].toString());
            } else {
                c.put("text", texts[i].toString());
            }
            if (logprobs >= 0) {
                c.set("logprobs", logprobsNode(lps.get(i)));
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", finish[i]);
        }
        usage(o, promptTokens, completionTokens);
        return o;
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
    ObjectNode toolCallStartChunk(int index, int k, dev.smelt.server.tools.ToolCall call) {
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
