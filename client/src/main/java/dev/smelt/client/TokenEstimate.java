package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Token counts guessed from characters, for when the endpoint has not said (yet): what the token limit
 * reserves before a call, and what a stream without a usage chunk is charged. Stateless.
 */
final class TokenEstimate {
    /** Characters per token (OpenAI's rule of thumb). */
    static final double CHARS_PER_TOKEN = 4.0;
    /** Output tokens assumed for the token limit when a request sets no max_tokens. */
    static final int DEFAULT_OUTPUT_ESTIMATE = 256;

    private TokenEstimate() {
    }

    /** Prompt characters / 4 + max_tokens: what the token limit reserves before the call. */
    static long request(JsonNode body) {
        int maxOut = body.path("max_tokens").asInt(body.path("max_completion_tokens").asInt(DEFAULT_OUTPUT_ESTIMATE));
        return prompt(body) + maxOut;
    }

    /** ceil(message characters / 4). */
    static long prompt(JsonNode body) {
        long chars = 0;
        for (JsonNode m : body.path("messages")) {
            chars += m.path("content").asText("").length();
        }
        return ofChars(chars);
    }

    /** ceil(chars / 4). */
    static long ofChars(long chars) {
        return (long) Math.ceil(chars / CHARS_PER_TOKEN);
    }
}
