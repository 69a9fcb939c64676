package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.text.Quote;
import dev.smelt.runtime.constrain.Node;
import dev.smelt.runtime.constrain.SchemaCompiler;
import dev.smelt.runtime.constrain.SchemaException;
import dev.smelt.server.CompletionRequest.OutputFormat;
import dev.smelt.server.CompletionRequest.Prompt;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.tools.ToolRequest;
import java.time.Duration;

/**
 * Ollama's request bodies ({@code /api/generate}, {@code /api/chat}) → {@link CompletionRequest}, validated
 * with the offending field named. Defaults are {@link SamplingDefaults#OLLAMA}; {@code num_predict} −1
 * (infinite) and −2 (fill the context) both run to the end of the context, and a larger one stops there, as
 * in Ollama. Stateless.
 */
final class OllamaCodec {
    private static final String NO_IMAGES = "the served models are text-only";

    static final RequestFields GENERATE = RequestFields.honouring("model", "prompt", "system", "format", "options", "stream", "raw",
                    "keep_alive", "context", "adapter")
            .onlyDefault("images", RequestFields::isEmptyArray, NO_IMAGES)
            .onlyDefault("suffix", RequestFields::isEmptyText, "fill-in-the-middle is not supported")
            .onlyDefault("template", RequestFields::isEmptyText, "the model's own chat template is always used; send raw: true with a rendered prompt")
            .onlyDefault("think", RequestFields::isFalse, "the served models have no thinking mode");
    static final RequestFields CHAT = RequestFields.honouring("model", "messages", "tools", "format", "options", "stream", "keep_alive",
                    "adapter")
            .onlyDefault("think", RequestFields::isFalse, "the served models have no thinking mode");
    /**
     * Ollama's runner options: sampling and length are honoured; hardware placement hints cannot change an
     * answer and are accepted; samplers smelt lacks only at their "off" value.
     */
    static final RequestFields OPTIONS = RequestFields.honouring("seed", "num_predict", "top_k", "top_p", "min_p", "repeat_last_n",
                    "temperature", "repeat_penalty", "presence_penalty", "frequency_penalty", "stop", "num_ctx")
            .noEffect("num_keep", "numa", "num_batch", "num_gpu", "main_gpu", "low_vram", "f16_kv", "logits_all", "vocab_only", "use_mmap",
                    "use_mlock", "num_thread",
                    "mirostat_tau", "mirostat_eta") // the last two act only with mirostat, which must be 0
            .onlyDefault("typical_p", v -> RequestFields.isNumber(v, 1), "typical sampling is not implemented")
            .onlyDefault("tfs_z", v -> RequestFields.isNumber(v, 1), "tail-free sampling is not implemented")
            .onlyDefault("mirostat", v -> RequestFields.isNumber(v, 0), "mirostat sampling is not implemented")
            .onlyDefault("penalize_newline", RequestFields::isFalse, "newline penalties are not implemented");

    private OllamaCodec() {
    }

    static CompletionRequest generate(ObjectNode body, long serverSeed) {
        GENERATE.check(body, "");
        String text = Json.string(body, "prompt", "");
        Prompt prompt = text.isEmpty() ? new Prompt.Load()
                : new Prompt.Generate(Json.string(body, "system", null), text, Json.bool(body, "raw", false), context(body.get("context")));
        return request(body, prompt, serverSeed, ToolRequest.NONE);
    }

    static CompletionRequest chat(ObjectNode body, long serverSeed) {
        CHAT.check(body, "");
        JsonNode msgs = body.get("messages");
        boolean empty = msgs == null || msgs.isNull() || msgs.isArray() && msgs.isEmpty(); // Ollama: an empty chat just loads the model
        Prompt prompt = empty ? new Prompt.Load() : new Prompt.Chat(ChatMessages.parse(ollamaMessages(msgs)));
        ToolRequest tools = ToolRequest.parse(body, Json.MAPPER);
        return request(body, prompt, serverSeed, tools.active() ? tools : ToolRequest.NONE);
    }

    private static CompletionRequest request(ObjectNode body, Prompt prompt, long serverSeed, ToolRequest tools) {
        String model = Json.string(body, "model", null);
        if (model == null || model.isBlank()) {
            throw ApiException.badRequest("model is required", "model");
        }
        JsonNode options = body.path("options");
        if (!options.isMissingNode() && !options.isNull() && !options.isObject()) {
            throw ApiException.badRequest("'options' must be an object", "options");
        }
        if (!options.isObject()) {
            options = Json.MAPPER.createObjectNode();
        }
        OPTIONS.check(options, "options.");
        int numPredict = Json.integer(options, "num_predict", -1, -2, Integer.MAX_VALUE);
        Integer numCtx = Json.integer(options, "num_ctx", null, 1, Integer.MAX_VALUE);
        JsonNode k = body.get("keep_alive");
        Duration keepAlive = k == null || k.isNull() ? null : OllamaDurations.parse(k, "keep_alive");
        return new CompletionRequest(OpenAiCodec.withAdapter(body, model), prompt, SamplingDefaults.OLLAMA.parse(options, serverSeed),
                numPredict < 0 ? null : numPredict, "num_predict", true, numCtx, Json.stops(options), 1, -1, false,
                format(body.get("format")), tools, Json.bool(body, "stream", true), false, keepAlive);
    }

    /** The {@code context} of an earlier answer: token ids (checked against the vocabulary by the pipeline). */
    private static int[] context(JsonNode c) {
        if (c == null || c.isNull()) {
            return new int[0];
        }
        if (!c.isArray()) {
            throw ApiException.badRequest("'context' must be the array of token ids an earlier answer returned", "context");
        }
        int[] ids = new int[c.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = c.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0) {
                throw ApiException.badRequest("'context[" + i + "]' must be a token id (an integer >= 0), got " + Quote.cut(t), "context");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    /** Ollama messages → the OpenAI-style JSON ChatMessages reads (tool_name → name); images are refused. */
    private static JsonNode ollamaMessages(JsonNode msgs) {
        if (!msgs.isArray()) {
            throw ApiException.badRequest("'messages' must be an array", "messages");
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (JsonNode m : msgs) {
            if (m.isObject() && m.has("images") && !m.get("images").isNull() && !RequestFields.isEmptyArray(m.get("images"))) {
                throw ApiException.unsupported("messages[].images", NO_IMAGES);
            }
            if (m.isObject() && m.path("tool_name").isTextual() && !m.has("name")) {
                ObjectNode c = ((ObjectNode) m).deepCopy();
                c.put("name", m.get("tool_name").asText());
                out.add(c);
            } else {
                out.add(m);
            }
        }
        return out;
    }

    /** {@code format}: "json" (any JSON object) or a JSON schema object. */
    private static OutputFormat format(JsonNode f) {
        if (f == null || f.isNull() || RequestFields.isEmptyText(f)) {
            return null;
        }
        Node root;
        if (f.isTextual() && f.asText().equals("json")) {
            root = SchemaCompiler.anyObject();
        } else if (f.isObject()) {
            try {
                root = SchemaCompiler.compile(f);
            } catch (SchemaException e) {
                throw ApiException.badRequest("invalid format schema: " + e.getMessage(), "format");
            }
        } else {
            throw ApiException.badRequest("'format' must be \"json\" or a JSON schema object, got " + Quote.cut(f), "format");
        }
        return new OutputFormat(root, "format");
    }
}
