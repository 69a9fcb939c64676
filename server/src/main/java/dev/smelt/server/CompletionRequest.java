package dev.smelt.server;

import dev.smelt.runtime.constrain.Node;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.server.tools.ToolRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One completion request, whatever API it came in by: each API's codec ({@link OpenAiCodec},
 * {@link OllamaCodec}) parses and validates its JSON once into this, and {@link CompletionPipeline}
 * runs it. What depends on the model (tokens, the chat template, the context size) is checked by the
 * pipeline. Immutable.
 *
 * @param model          served name, with an {@code adapter} field folded in ({@code base+adapter})
 * @param sampling       sampler settings with the seed resolved
 * @param maxTokens      generation limit; null = up to the end of the context
 * @param maxTokensParam the field that set it, for errors
 * @param clampToContext true: a limit beyond the context ends at the context (Ollama's {@code num_predict});
 *                       false: it is a 400 (OpenAI's {@code max_tokens})
 * @param contextLimit   a smaller context than the server's ({@code options.num_ctx}), or null
 * @param logprobs       −1: none; k ≥ 0: the sampled token's log-probability and k alternatives
 * @param echo           the prompt text precedes each choice's text (OpenAI completions)
 * @param format         structured output: the JSON grammar the answer must follow, or null
 * @param tools          tools offered ({@link ToolRequest#NONE} when none)
 * @param keepAlive      Ollama's {@code keep_alive} for the model, or null to leave it
 */
record CompletionRequest(String model, Prompt prompt, SamplerConfig sampling, Integer maxTokens, String maxTokensParam,
                         boolean clampToContext, Integer contextLimit, List<String> stops, int n, int logprobs, boolean echo,
                         OutputFormat format, ToolRequest tools, boolean stream, boolean includeUsage, Duration keepAlive) {

    /** What the model is asked to continue. */
    sealed interface Prompt {
        /** Text encoded with the model's BOS (OpenAI completions' string prompt). */
        record Text(String text) implements Prompt {
        }

        /** Token ids as given (OpenAI completions' array prompt); checked against the vocabulary by the pipeline. */
        record Tokens(int[] ids) implements Prompt {
        }

        /** A conversation rendered with the model's chat template and the request's tools. */
        record Chat(List<Map<String, Object>> messages) implements Prompt {
        }

        /**
         * Ollama's generate: {@code prompt} (with {@code system}) in the chat template unless {@code raw}, after
         * the token ids of an earlier answer's {@code context}.
         */
        record Generate(String system, String prompt, boolean raw, int[] context) implements Prompt {
        }

        /** Nothing to generate: Ollama loads the model and answers {@code done_reason: "load"}. */
        record Load() implements Prompt {
        }
    }

    /** A JSON grammar for the answer and the field that asked for it (for errors). */
    record OutputFormat(Node root, String param) {
    }
}
