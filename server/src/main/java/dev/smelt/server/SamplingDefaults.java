package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.runtime.sampling.SamplerConfig;

/**
 * Sampling defaults and accepted ranges per API, in one table. Each API keeps the defaults its clients
 * expect (an OpenAI client that sends no temperature expects OpenAI's 1.0; an Ollama client Ollama's 0.8
 * with top-k 40), and the ranges its reference server accepts:
 *
 * <pre>
 * field               OpenAI /v1            Ollama /api options       smelt run/chat (CLI, llama.cpp)
 * temperature         1.0  [0, 2]           0.8  [0, 100]             0.8
 * top_p               1.0  (0, 1]           0.9  [0, 1], 0 = off      0.95
 * top_k               0 = off  [0, 2^31)    40   [0, 2^31)            40
 * min_p               0    [0, 1]           0    [0, 1]               0.05
 * repeat_penalty      1.0  [0.01, 10]       1.1  [0, 100], 0 = off    1.0
 * repeat_last_n       64  [-1, 2^31)        64   [-1, 2^31), -1 = all 64
 * presence/frequency  0    [-2, 2]          0    [-100, 100]          0
 * seed                the server's next     the server's next;        42
 *                                           negative = the server's
 * </pre>
 * ({@code top_k}, {@code min_p} and {@code repeat_penalty} are llama-server's extensions to OpenAI's API.)
 * The CLI column is {@link SamplerConfig#defaults}. Immutable.
 */
record SamplingDefaults(double temperature, double maxTemperature, double topP, boolean zeroTopPIsOff, int topK, double minP,
                        double repeatPenalty, double minRepeatPenalty, double maxRepeatPenalty, boolean zeroRepeatPenaltyIsOff,
                        int repeatLastN, double penaltyLimit, boolean negativeSeedIsRandom) {

    static final SamplingDefaults OPENAI = new SamplingDefaults(1.0, 2, 1.0, false, 0, 0, 1.0, 0.01, 10, false, 64, 2, false);
    static final SamplingDefaults OLLAMA = new SamplingDefaults(0.8, 100, 0.9, true, 40, 0, 1.1, 0, 100, true, 64, 100, true);

    /** The sampler settings of request object {@code o} (the body, or Ollama's {@code options}); 400s name the field. */
    SamplerConfig parse(JsonNode o, long serverSeed) {
        double temp = Json.number(o, "temperature", temperature, 0, maxTemperature);
        double p = Json.number(o, "top_p", topP, 0, 1);
        if (p == 0) {
            if (!zeroTopPIsOff) {
                throw dev.smelt.server.http.ApiException.badRequest("'top_p' must be greater than 0, got 0", "top_p");
            }
            p = 1;
        }
        int k = Json.integer(o, "top_k", topK, 0, Integer.MAX_VALUE);
        double mp = Json.number(o, "min_p", minP, 0, 1);
        double repeat = Json.number(o, "repeat_penalty", repeatPenalty, minRepeatPenalty, maxRepeatPenalty);
        if (repeat == 0 && zeroRepeatPenaltyIsOff) {
            repeat = 1;
        }
        int lastN = Json.integer(o, "repeat_last_n", repeatLastN, -1, Integer.MAX_VALUE);
        double presence = Json.number(o, "presence_penalty", 0.0, -penaltyLimit, penaltyLimit);
        double frequency = Json.number(o, "frequency_penalty", 0.0, -penaltyLimit, penaltyLimit);
        Long seed = Json.longValue(o, "seed");
        long s = seed == null || negativeSeedIsRandom && seed < 0 ? serverSeed : seed;
        return new SamplerConfig((float) temp, k, (float) p, (float) mp, (float) repeat, lastN, (float) frequency, (float) presence, s);
    }
}
