package dev.smelt.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.encoder.Embedder;
import dev.smelt.server.http.ApiException;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Embedding endpoints: OpenAI's {@code POST /v1/embeddings} and Ollama's {@code POST /api/embed} (and the
 * older {@code POST /api/embeddings}). Bad input answers 4xx in OpenAI's error JSON. Thread-safe (stateless
 * over a thread-safe {@link EmbeddingModels}).
 */
final class EmbeddingHandlers {
    /** OpenAI's limit on inputs per request. */
    static final int MAX_INPUTS = 2048;

    private final EmbeddingModels models;

    EmbeddingHandlers(EmbeddingModels models) {
        this.models = models;
    }

    /** OpenAI: {"model", "input": string | [string], "encoding_format": "float"|"base64", "dimensions"}. */
    void openAi(Context ctx) {
        ObjectNode req = Json.parseObject(ctx);
        String modelName = Json.string(req, "model", null);
        List<String> inputs = inputs(req.get("input"), "input");
        String format = Json.string(req, "encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.badRequest("'encoding_format' must be 'float' or 'base64', got '" + format + "'", "encoding_format");
        }
        Embedder e = models.get(modelName);
        Integer dims = Json.integer(req, "dimensions", null, 1, Integer.MAX_VALUE);
        if (dims != null && dims != e.dimension()) {
            throw ApiException.badRequest("'dimensions' " + dims + " is not supported: this model returns " + e.dimension()
                    + "-dimensional vectors only", "dimensions");
        }
        float[][] v = e.embed(inputs);
        int tokens = 0;
        for (String s : inputs) {
            tokens += e.countTokens(s);
        }
        ObjectNode o = Json.MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = o.putArray("data");
        for (int i = 0; i < v.length; i++) {
            ObjectNode d = data.addObject().put("object", "embedding").put("index", i);
            if (format.equals("base64")) {
                ByteBuffer b = ByteBuffer.allocate(4 * v[i].length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v[i]);
                d.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode a = d.putArray("embedding");
                for (float f : v[i]) {
                    a.add(f);
                }
            }
        }
        o.put("model", e.name());
        o.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        ctx.json(o);
    }

    /** Ollama: {"model", "input": string | [string], "truncate"} → {"model", "embeddings", "prompt_eval_count", durations}. */
    void ollamaEmbed(Context ctx) {
        long start = System.nanoTime();
        ObjectNode req = Json.parseObject(ctx);
        String modelName = Json.string(req, "model", null);
        List<String> inputs = inputs(req.get("input"), "input");
        long loadStart = System.nanoTime();
        Embedder e = models.get(modelName);
        long loaded = System.nanoTime();
        float[][] v = e.embed(inputs);
        int tokens = 0;
        for (String s : inputs) {
            tokens += e.countTokens(s);
        }
        ObjectNode o = Json.MAPPER.createObjectNode().put("model", modelName == null ? e.name() : modelName);
        ArrayNode all = o.putArray("embeddings");
        for (float[] row : v) {
            ArrayNode a = all.addArray();
            for (float f : row) {
                a.add(f);
            }
        }
        o.put("total_duration", System.nanoTime() - start).put("load_duration", loaded - loadStart).put("prompt_eval_count", tokens);
        ctx.json(o);
    }

    /** Ollama's older endpoint: {"model", "prompt"} → {"embedding": [...]}. */
    void ollamaEmbeddings(Context ctx) {
        ObjectNode req = Json.parseObject(ctx);
        JsonNode p = req.get("prompt");
        if (p == null || !p.isTextual()) {
            throw ApiException.badRequest("'prompt' is " + (p == null ? "required" : "not a string"), "prompt");
        }
        Embedder e = models.get(Json.string(req, "model", null));
        float[] v = e.embed(List.of(p.asText()))[0];
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode a = o.putArray("embedding");
        for (float f : v) {
            a.add(f);
        }
        ctx.json(o);
    }

    /** A string or a non-empty array of strings; token-id arrays are refused (their ids are another tokenizer's). */
    static List<String> inputs(JsonNode in, String param) {
        return inputs(in, param, MAX_INPUTS);
    }

    /** As {@link #inputs(JsonNode, String)}, with at most {@code max} items. */
    static List<String> inputs(JsonNode in, String param, int max) {
        if (in == null || in.isNull()) {
            throw ApiException.badRequest("'" + param + "' is required: a string or an array of strings", param);
        }
        List<String> out = new ArrayList<>();
        if (in.isTextual()) {
            out.add(nonEmpty(in.asText(), param));
            return out;
        }
        if (!in.isArray()) {
            throw ApiException.badRequest("'" + param + "' must be a string or an array of strings", param);
        }
        if (in.isEmpty()) {
            throw ApiException.badRequest("'" + param + "' must not be an empty array", param);
        }
        if (in.size() > max) {
            throw ApiException.badRequest("'" + param + "' has " + in.size() + " items; at most " + max + " per request", param);
        }
        for (int i = 0; i < in.size(); i++) {
            JsonNode s = in.get(i);
            if (!s.isTextual()) {
                throw ApiException.badRequest("'" + param + "[" + i + "]' must be a string" + (s.isNumber() || s.isArray()
                        ? " (token-id inputs are not supported: send text)" : ""), param);
            }
            out.add(nonEmpty(s.asText(), param + "[" + i + "]"));
        }
        return out;
    }

    private static String nonEmpty(String s, String param) {
        if (s.isEmpty()) {
            throw ApiException.badRequest("'" + param + "' must not be an empty string", param);
        }
        return s;
    }
}
