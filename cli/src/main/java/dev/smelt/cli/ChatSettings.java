package dev.smelt.cli;

import dev.smelt.runtime.sampling.SamplerConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The sampling parameters and reply length a chat uses, changed by {@code /set NAME VALUE}. Names follow
 * Ollama's PARAMETER names (temperature, top_k, top_p, min_p, repeat_penalty, repeat_last_n, seed,
 * num_predict) plus the OpenAI penalties; '-' and '_' are interchangeable. Not thread-safe.
 */
final class ChatSettings {
    private SamplerConfig config;
    private int maxTokens;

    ChatSettings(SamplerConfig config, int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        }
        this.config = config;
        this.maxTokens = maxTokens;
    }

    SamplerConfig config() {
        return config;
    }

    int maxTokens() {
        return maxTokens;
    }

    /** Current values by name, in the order /set shows them. */
    Map<String, String> values() {
        Map<String, String> m = new LinkedHashMap<>();
        SamplerConfig c = config;
        m.put("temperature", fmt(c.temperature()));
        m.put("top_k", Integer.toString(c.topK()));
        m.put("top_p", fmt(c.topP()));
        m.put("min_p", fmt(c.minP()));
        m.put("repeat_penalty", fmt(c.repeatPenalty()));
        m.put("repeat_last_n", Integer.toString(c.repeatLastN()));
        m.put("frequency_penalty", fmt(c.frequencyPenalty()));
        m.put("presence_penalty", fmt(c.presencePenalty()));
        m.put("seed", Long.toString(c.seed()));
        m.put("num_predict", Integer.toString(maxTokens));
        return m;
    }

    /**
     * Sets one parameter; the settings are unchanged when this throws.
     *
     * @throws IllegalArgumentException naming the parameter and the value when either is not valid
     */
    void set(String name, String value) {
        String n = name.toLowerCase(Locale.ROOT).replace('-', '_');
        SamplerConfig c = config;
        try {
            switch (n) {
                case "temperature", "temp" -> config = with(c, f(n, value), c.topK(), c.topP(), c.minP(), c.repeatPenalty(),
                        c.repeatLastN(), c.frequencyPenalty(), c.presencePenalty(), c.seed());
                case "top_k" -> config = with(c, c.temperature(), i(n, value), c.topP(), c.minP(), c.repeatPenalty(),
                        c.repeatLastN(), c.frequencyPenalty(), c.presencePenalty(), c.seed());
                case "top_p" -> config = with(c, c.temperature(), c.topK(), f(n, value), c.minP(), c.repeatPenalty(),
                        c.repeatLastN(), c.frequencyPenalty(), c.presencePenalty(), c.seed());
                case "min_p" -> config = with(c, c.temperature(), c.topK(), c.topP(), f(n, value), c.repeatPenalty(),
                        c.repeatLastN(), c.frequencyPenalty(), c.presencePenalty(), c.seed());
                case "repeat_penalty" -> config = with(c, c.temperature(), c.topK(), c.topP(), c.minP(), f(n, value),
                        c.repeatLastN(), c.frequencyPenalty(), c.presencePenalty(), c.seed());
                case "repeat_last_n" -> config = with(c, c.temperature(), c.topK(), c.topP(), c.minP(), c.repeatPenalty(),
                        i(n, value), c.frequencyPenalty(), c.presencePenalty(), c.seed());
                case "frequency_penalty" -> config = with(c, c.temperature(), c.topK(), c.topP(), c.minP(), c.repeatPenalty(),
                        c.repeatLastN(), f(n, value), c.presencePenalty(), c.seed());
                case "presence_penalty" -> config = with(c, c.temperature(), c.topK(), c.topP(), c.minP(), c.repeatPenalty(),
                        c.repeatLastN(), c.frequencyPenalty(), f(n, value), c.seed());
                case "seed" -> config = with(c, c.temperature(), c.topK(), c.topP(), c.minP(), c.repeatPenalty(),
                        c.repeatLastN(), c.frequencyPenalty(), c.presencePenalty(), l(n, value));
                case "num_predict", "max_tokens" -> {
                    int v = i(n, value);
                    if (v < 1) {
                        throw new IllegalArgumentException(n + " must be >= 1, got " + v);
                    }
                    maxTokens = v;
                }
                default -> throw new IllegalArgumentException("unknown parameter '" + name + "'; known: " + String.join(", ", values().keySet()));
            }
        } catch (IllegalArgumentException e) {
            config = c;
            throw e;
        }
    }

    private static SamplerConfig with(SamplerConfig c, float t, int k, float p, float minP, float rep, int lastN, float freq,
                                      float pres, long seed) {
        return new SamplerConfig(t, k, p, minP, rep, lastN, freq, pres, seed, c.logitBias());
    }

    private static float f(String n, String v) {
        try {
            float x = Float.parseFloat(v);
            if (!Float.isFinite(x)) {
                throw new NumberFormatException();
            }
            return x;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(n + ": '" + v + "' is not a number");
        }
    }

    private static int i(String n, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(n + ": '" + v + "' is not an integer");
        }
    }

    private static long l(String n, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(n + ": '" + v + "' is not an integer");
        }
    }

    private static String fmt(float f) {
        return f == Math.rint(f) && Math.abs(f) < 1e7 ? Integer.toString((int) f) : Float.toString(f);
    }
}
