package dev.smelt.server;

import dev.smelt.server.http.ApiException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.runtime.sampling.SamplerConfig;

/** OpenAI sampling fields → {@link SamplerConfig}, validated with the parameter named in errors. */
final class SamplingParams {
    private SamplingParams() {
    }

    static SamplerConfig from(JsonNode body, long defaultSeed) {
        double temperature = Json.number(body, "temperature", 1.0, 0, 2);
        double topP = Json.number(body, "top_p", 1.0, 0, 1);
        if (topP == 0) {
            throw ApiException.badRequest("'top_p' must be greater than 0, got 0", "top_p");
        }
        Integer topK = Json.integer(body, "top_k", 0, 0, Integer.MAX_VALUE);
        double minP = Json.number(body, "min_p", 0.0, 0, 1);
        double presence = Json.number(body, "presence_penalty", 0.0, -2, 2);
        double frequency = Json.number(body, "frequency_penalty", 0.0, -2, 2);
        double repeat = Json.number(body, "repeat_penalty", 1.0, 0.01, 10);
        Long seed = Json.longValue(body, "seed");
        return new SamplerConfig((float) temperature, topK, (float) topP, (float) minP, (float) repeat, 64,
                (float) frequency, (float) presence, seed != null ? seed : defaultSeed);
    }
}
