package dev.smelt.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A teacher's per-token log-probabilities for one answer, for token-level distillation. The JSON
 * shape is OpenAI's chat-completion {@code choices[].logprobs} — what {@code smelt distill} receives
 * with {@code top_logprobs} and keeps:
 * <pre>{"content": [{"token": " card", "logprob": -0.01, "top_logprobs": [{"token": " card", "logprob": -0.01}, …]}, …]}</pre>
 * (the {@code logprobs.jsonl} spelling of {@code smelt distill}, {@code {"tokens": [{"token", "logprob", "top": […]}]}},
 * is accepted too). In training JSONL it is the {@code logprobs} field of an assistant message, or
 * the top-level {@code logprobs} of a prompt/completion line. Tokens are text, as OpenAI sends them;
 * {@link ChatFormat} maps them to the student's ids and refuses data whose tokens the student's
 * vocabulary does not share. Immutable; thread-safe.
 *
 * @param tokens the answer's tokens in order
 */
public record TeacherLogprobs(List<Token> tokens) {
    /** One generated token, its log-probability and the teacher's top alternatives (natural log). */
    public record Token(String token, double logprob, List<Alternative> top) {
    }

    /** One of the teacher's top-k candidates at a position. */
    public record Alternative(String token, double logprob) {
    }

    public TeacherLogprobs {
        tokens = List.copyOf(tokens);
    }

    /** Parses {@code node} (see the class comment); {@code where} names the field for errors. */
    static TeacherLogprobs parse(JsonNode node, String where, String source) {
        if (!node.isObject()) {
            throw new DataException(source, where + " must be an object {\"content\": [{\"token\", \"logprob\", \"top_logprobs\"}]}");
        }
        boolean openai = node.has("content");
        JsonNode list = openai ? node.get("content") : node.get("tokens");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new DataException(source, where + ".content must be a non-empty array of {\"token\", \"logprob\", \"top_logprobs\"}");
        }
        String topField = openai ? "top_logprobs" : "top";
        List<Token> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            String at = where + ".content[" + i + "]";
            String tok = text(t, "token", at, source);
            double lp = number(t, "logprob", at, source);
            List<Alternative> top = new ArrayList<>();
            JsonNode alts = t.get(topField);
            if (alts != null && !alts.isNull()) {
                if (!alts.isArray()) {
                    throw new DataException(source, at + "." + topField + " must be an array");
                }
                for (int k = 0; k < alts.size(); k++) {
                    String a = at + "." + topField + "[" + k + "]";
                    top.add(new Alternative(text(alts.get(k), "token", a, source), number(alts.get(k), "logprob", a, source)));
                }
            }
            out.add(new Token(tok, lp, List.copyOf(top)));
        }
        return new TeacherLogprobs(out);
    }

    private static String text(JsonNode n, String field, String at, String source) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new DataException(source, at + "." + field + " must be a string");
        }
        return v.asText();
    }

    private static double number(JsonNode n, String field, String at, String source) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber() || !(v.asDouble() <= 0) || Double.isNaN(v.asDouble())) {
            throw new DataException(source, at + "." + field + " must be a log-probability (a number ≤ 0), got " + v);
        }
        return v.asDouble();
    }
}
