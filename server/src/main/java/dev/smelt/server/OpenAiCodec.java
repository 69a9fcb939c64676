package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.text.Quote;
import dev.smelt.runtime.constrain.Node;
import dev.smelt.runtime.constrain.SchemaCompiler;
import dev.smelt.runtime.constrain.SchemaException;
import dev.smelt.runtime.sampling.LogitBias;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.server.CompletionRequest.OutputFormat;
import dev.smelt.server.CompletionRequest.Prompt;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.tools.ToolRequest;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * OpenAI's request bodies ({@code /v1/completions}, {@code /v1/chat/completions}) → {@link CompletionRequest},
 * validated with the offending field named. Defaults are {@link SamplingDefaults#OPENAI}. Stateless.
 */
final class OpenAiCodec {
    static final int MAX_N = 8;
    /** OpenAI's logit_bias range. */
    static final double MAX_LOGIT_BIAS = 100;

    /** Fields both endpoints share: OpenAI's, llama-server's sampling extensions, and smelt's {@code adapter}. */
    private static final String[] COMMON = {"model", "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens",
        "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "seed", "response_format", "adapter", "top_k", "min_p",
        "repeat_penalty", "repeat_last_n"};
    /** Fields that change nothing here: smelt stores no completions, bills and tracks no one. */
    private static final String[] NO_EFFECT = {"user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier"};

    static final RequestFields CHAT = RequestFields.honouring(concat(COMMON, "messages", "max_completion_tokens", "top_logprobs", "tools",
                    "tool_choice", "parallel_tool_calls")).noEffect(NO_EFFECT)
            .onlyDefault("modalities", v -> v.isArray() && v.size() == 1 && "text".equals(v.get(0).asText()), "the models are text-only");
    static final RequestFields COMPLETIONS = RequestFields.honouring(concat(COMMON, "prompt", "echo")).noEffect(NO_EFFECT)
            .onlyDefault("best_of", v -> RequestFields.isNumber(v, 1), "one completion is generated per choice")
            .onlyDefault("suffix", RequestFields::isEmptyText, "fill-in-the-middle is not supported");

    private OpenAiCodec() {
    }

    static CompletionRequest completions(ObjectNode body, long serverSeed) {
        COMPLETIONS.check(body, "");
        Prompt prompt = completionPrompt(body.get("prompt"));
        Integer logprobs = Json.integer(body, "logprobs", null, 0, 5);
        boolean echo = Json.bool(body, "echo", false);
        if (echo && logprobs != null) {
            throw ApiException.unsupported("echo", "with logprobs it needs the prompt's log-probabilities, which smelt does not compute");
        }
        return request(body, prompt, serverSeed, Json.integer(body, "max_tokens", 16, 0, Integer.MAX_VALUE), "max_tokens",
                logprobs == null ? -1 : logprobs, echo, ToolRequest.NONE);
    }

    static CompletionRequest chat(ObjectNode body, long serverSeed) {
        CHAT.check(body, "");
        Prompt prompt = new Prompt.Chat(ChatMessages.parse(body.get("messages")));
        boolean lp = Json.bool(body, "logprobs", false);
        Integer top = Json.integer(body, "top_logprobs", null, 0, 20);
        if (top != null && !lp) {
            throw ApiException.badRequest("'top_logprobs' requires 'logprobs': true", "top_logprobs");
        }
        String maxParam = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        return request(body, prompt, serverSeed, Json.integer(body, maxParam, null, 0, Integer.MAX_VALUE), maxParam,
                lp ? (top == null ? 0 : top) : -1, false, ToolRequest.parse(body, Json.MAPPER));
    }

    private static CompletionRequest request(ObjectNode body, Prompt prompt, long serverSeed, Integer maxTokens, String maxParam,
                                             int logprobs, boolean echo, ToolRequest tools) {
        String model = requireModel(body);
        SamplerConfig sampling = SamplingDefaults.OPENAI.parse(body, serverSeed).withLogitBias(logitBias(body.get("logit_bias")));
        int n = Json.integer(body, "n", 1, 1, MAX_N);
        boolean stream = Json.bool(body, "stream", false);
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull() && !so.isObject()) {
            throw ApiException.badRequest("'stream_options' must be an object", "stream_options");
        }
        boolean includeUsage = stream && so != null && Json.bool(so, "include_usage", false);
        return new CompletionRequest(model, prompt, sampling, maxTokens, maxParam, false, null, Json.stops(body), n, logprobs, echo,
                responseFormat(body.get("response_format")), tools, stream, includeUsage, null);
    }

    /** A string, or an array of token ids (ints; the pipeline checks them against the vocabulary). */
    private static Prompt completionPrompt(JsonNode p) {
        if (p == null || p.isNull()) {
            throw ApiException.badRequest("'prompt' is required", "prompt");
        }
        if (p.isTextual()) {
            return new Prompt.Text(p.asText());
        }
        if (!p.isArray() || p.isEmpty()) {
            throw ApiException.badRequest("'prompt' must be a string or a non-empty array of token ids", "prompt");
        }
        if (p.get(0).isTextual() || p.get(0).isArray()) {
            throw ApiException.unsupported("prompt", "a batch of prompts in one request; send one prompt per request");
        }
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = p.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0) {
                throw ApiException.badRequest("'prompt[" + i + "]' must be a token id (an integer >= 0), got " + Quote.cut(t), "prompt");
            }
            ids[i] = t.asInt();
        }
        return new Prompt.Tokens(ids);
    }

    /** {@code {"token id": bias}} with biases in [−100, 100]; ids are checked against the vocabulary by the pipeline. */
    static LogitBias logitBias(JsonNode b) {
        if (b == null || b.isNull()) {
            return LogitBias.NONE;
        }
        if (!b.isObject()) {
            throw ApiException.badRequest("'logit_bias' must be an object mapping token ids to biases, got " + b.getNodeType().name().toLowerCase(),
                    "logit_bias");
        }
        Map<Integer, Float> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                id = -1;
            }
            if (id < 0) {
                throw ApiException.badRequest("'logit_bias' key " + Quote.of(e.getKey()) + " is not a token id (an integer >= 0)", "logit_bias");
            }
            JsonNode v = e.getValue();
            if (!v.isNumber() || !(Math.abs(v.asDouble()) <= MAX_LOGIT_BIAS)) {
                throw ApiException.badRequest("'logit_bias." + Quote.cut(e.getKey()) + "' must be a number between -100 and 100, got " + Quote.cut(v), "logit_bias");
            }
            out.put(id, (float) v.asDouble());
        }
        return LogitBias.of(out);
    }

    /** response_format → a JSON grammar, or null. Invalid schemas are a 400 naming the keyword. */
    static OutputFormat responseFormat(JsonNode rf) {
        if (rf == null || rf.isNull()) {
            return null;
        }
        if (!rf.isObject()) {
            throw ApiException.badRequest("'response_format' must be an object such as {\"type\": \"json_object\"}", "response_format");
        }
        String type = rf.path("type").asText("");
        Node root;
        switch (type) {
            case "text" -> {
                return null;
            }
            case "json_object" -> root = SchemaCompiler.anyObject();
            case "json_schema" -> {
                JsonNode schema = rf.path("json_schema").path("schema");
                if (!schema.isObject()) {
                    throw ApiException.badRequest("'response_format.json_schema.schema' must be a JSON schema object", "response_format");
                }
                try {
                    root = SchemaCompiler.compile(schema);
                } catch (SchemaException e) {
                    throw ApiException.badRequest("invalid response_format: " + e.getMessage(), "response_format");
                }
            }
            default -> throw ApiException.badRequest("'response_format.type' must be text, json_object or json_schema, got " + Quote.of(type),
                    "response_format");
        }
        return new OutputFormat(root, "response_format");
    }

    static String requireModel(JsonNode body) {
        String model = Json.string(body, "model", null);
        if (model == null || model.isBlank()) {
            throw ApiException.badRequest("'model' is required", "model");
        }
        return withAdapter(body, model);
    }

    /** {@code model} with the optional {@code adapter} field folded in as {@code model+adapter}. */
    static String withAdapter(JsonNode body, String model) {
        JsonNode a = body.get("adapter");
        if (a == null || a.isNull()) {
            return model;
        }
        if (!a.isTextual() || a.asText().isBlank()) {
            throw ApiException.badRequest("'adapter' must be a non-empty string naming one of the model's LoRA adapters", "adapter");
        }
        String suffix = ModelRegistry.ADAPTER_SEPARATOR + a.asText();
        if (model.contains(ModelRegistry.ADAPTER_SEPARATOR) && !model.endsWith(suffix)) {
            throw ApiException.badRequest("'model' " + model + " already names an adapter; 'adapter' " + a.asText() + " contradicts it", "adapter");
        }
        return model.endsWith(suffix) ? model : model + suffix;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
