package dev.smelt.runtime.sampling;

/**
 * Sampling parameters, with llama.cpp's meanings. {@code temperature ≤ 0} means greedy (argmax).
 * Disabled values: topK ≤ 0, topP ≥ 1, minP ≤ 0, repeatPenalty = 1, frequency/presence = 0.
 *
 * @param repeatLastN how many recent tokens the penalties look at (−1: all, 0: none)
 * @param seed        RNG seed; the same seed and inputs give the same output
 * @param logitBias   offsets added to chosen tokens' logits before every other step ({@link LogitBias#NONE}: none)
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN,
                            float frequencyPenalty, float presencePenalty, long seed, LogitBias logitBias) {

    /** Without logit bias. */
    public SamplerConfig(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN,
                         float frequencyPenalty, float presencePenalty, long seed) {
        this(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed, LogitBias.NONE);
    }

    public SamplerConfig {
        if (logitBias == null) {
            throw new IllegalArgumentException("logitBias must not be null (use LogitBias.NONE)");
        }
        if (Float.isNaN(temperature) || temperature < 0) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (Float.isNaN(topP) || topP <= 0 || topP > 1) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (Float.isNaN(minP) || minP < 0 || minP > 1) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        }
        if (Float.isNaN(repeatPenalty) || repeatPenalty <= 0) {
            throw new IllegalArgumentException("repeat penalty must be > 0, got " + repeatPenalty);
        }
        if (repeatLastN < -1) {
            throw new IllegalArgumentException("repeat_last_n must be >= -1, got " + repeatLastN);
        }
        if (!Float.isFinite(frequencyPenalty) || !Float.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("penalties must be finite, got frequency " + frequencyPenalty + " presence " + presencePenalty);
        }
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties. */
    public static SamplerConfig defaults(long seed) {
        return new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1f, 64, 0f, 0f, seed);
    }

    /** Argmax decoding. */
    public static SamplerConfig greedy() {
        return new SamplerConfig(0f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0);
    }

    public boolean isGreedy() {
        return temperature <= 0;
    }

    public SamplerConfig withTemperature(float t) {
        return new SamplerConfig(t, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed, logitBias);
    }

    /** The same settings with another seed (the n choices of one request each get their own). */
    public SamplerConfig withSeed(long s) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, s, logitBias);
    }

    /** The same settings with {@code bias} added to the logits first. */
    public SamplerConfig withLogitBias(LogitBias bias) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed, bias);
    }
}
