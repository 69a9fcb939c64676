package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One chat completion from a teacher: the first choice's text, token usage, the per-token
 * {@code logprobs}/{@code top_logprobs} when the server offered them (empty otherwise), and the raw JSON.
 * Immutable (the raw tree must not be modified).
 *
 * @param cached true when it came from the on-disk cache (no cost in this run)
 */
public record TeacherResponse(String content, String finishReason, long promptTokens, long completionTokens,
                              List<TokenLogprob> logprobs, JsonNode raw, boolean cached) {

    /** One generated token, its log-probability and the server's top alternatives. */
    public record TokenLogprob(String token, double logprob, List<Alternative> top) {
    }

    /** A top-k alternative at one position. */
    public record Alternative(String token, double logprob) {
    }

    /** Sum of the content tokens' log-probabilities; NaN when the server gave none. */
    public double sumLogprob() {
        if (logprobs.isEmpty()) {
            return Double.NaN;
        }
        double s = 0;
        for (TokenLogprob t : logprobs) {
            s += t.logprob();
        }
        return s;
    }

    /**
     * Parses an OpenAI chat completion body; throws {@link IllegalArgumentException} naming the missing
     * field when it is not one (a malformed response is retried by the client).
     */
    public static TeacherResponse parse(JsonNode raw, boolean cached) {
        JsonNode choice = raw.path("choices").path(0);
        if (!choice.isObject()) {
            throw new IllegalArgumentException("response has no choices[0]");
        }
        JsonNode content = choice.path("message").path("content");
        if (!content.isTextual() && !content.isNull()) {
            throw new IllegalArgumentException("response has no choices[0].message.content string");
        }
        JsonNode usage = raw.path("usage");
        List<TokenLogprob> lps = new ArrayList<>();
        for (JsonNode t : choice.path("logprobs").path("content")) {
            List<Alternative> top = new ArrayList<>();
            for (JsonNode a : t.path("top_logprobs")) {
                top.add(new Alternative(a.path("token").asText(), a.path("logprob").asDouble()));
            }
            lps.add(new TokenLogprob(t.path("token").asText(), t.path("logprob").asDouble(), List.copyOf(top)));
        }
        return new TeacherResponse(content.isNull() ? "" : content.asText(), choice.path("finish_reason").asText(null),
                usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0), List.copyOf(lps), raw, cached);
    }
}
