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
 * older {@code POST /api/embeddings}). An input longer than the encoder's window follows Ollama's
 * {@code truncate} (on all three, default true): it is cut to the window and its index is reported in
 * {@code truncated_inputs} (OpenAI: in {@code usage}); with {@code truncate: false} it is a 400 naming the
 * input. Bad input answers 4xx in the API's error JSON. Thread-safe (stateless over a thread-safe
 * {@link EmbeddingModels}).
 */
final class EmbeddingHandlers {
    /** OpenAI's limit on inputs per request. */
    static final int MAX_INPUTS = 2048;

    static final RequestFields OPENAI = RequestFields.honouring("model", "input", "encoding_format", "dimensions", "truncate")
            .noEffect("user");
    /** Embedders stay loaded and have no sampling: keep_alive and runner options change nothing. */
    static final RequestFields OLLAMA = RequestFields.honouring("model", "input", "truncate", "dimensions").noEffect("options", "keep_alive");
    static final RequestFields OLLAMA_LEGACY = RequestFields.honouring("model", "prompt", "truncate").noEffect("options", "keep_alive");

    private final EmbeddingModels models;

    EmbeddingHandlers(EmbeddingModels models) {
        this.models = models;
    }

    /** OpenAI: {"model", "input": string | [string], "encoding_format": "float"|"base64", "dimensions"}. */
    void openAi(Context ctx) {
        ObjectNode req = Json.parseObject(ctx);
        OPENAI.check(req, "");
        String modelName = Json.string(req, "model", null);
        List<String> inputs = inputs(req.get("input"), "input");
        String format = Json.string(req, "encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.badRequest("'encoding_format' must be 'float' or 'base64', got '" + format + "'", "encoding_format");
        }
        Embedder e = models.get(modelName);
        checkDimensions(req, e);
        Tokens t = tokens(e, inputs, Json.bool(req, "truncate", true), "input");
        float[][] v = e.embed(inputs);
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
        ObjectNode usage = o.putObject("usage").put("prompt_tokens", t.count()).put("total_tokens", t.count());
        t.report(usage);
        ctx.json(o);
    }

    /** Ollama: {"model", "input": string | [string], "truncate"} → {"model", "embeddings", "prompt_eval_count", durations}. */
    void ollamaEmbed(Context ctx) {
        long start = System.nanoTime();
        ObjectNode req = Json.parseObject(ctx);
        OLLAMA.check(req, "");
        String modelName = Json.string(req, "model", null);
        List<String> inputs = inputs(req.get("input"), "input");
        long loadStart = System.nanoTime();
        Embedder e = models.get(modelName);
        long loaded = System.nanoTime();
        checkDimensions(req, e);
        Tokens t = tokens(e, inputs, Json.bool(req, "truncate", true), "input");
        float[][] v = e.embed(inputs);
        ObjectNode o = Json.MAPPER.createObjectNode().put("model", modelName == null ? e.name() : modelName);
        ArrayNode all = o.putArray("embeddings");
        for (float[] row : v) {
            ArrayNode a = all.addArray();
            for (float f : row) {
                a.add(f);
            }
        }
        o.put("total_duration", System.nanoTime() - start).put("load_duration", loaded - loadStart).put("prompt_eval_count", t.count());
        t.report(o);
        ctx.json(o);
    }

    /** Ollama's older endpoint: {"model", "prompt"} → {"embedding": [...]}. */
    void ollamaEmbeddings(Context ctx) {
        ObjectNode req = Json.parseObject(ctx);
        OLLAMA_LEGACY.check(req, "");
        JsonNode p = req.get("prompt");
        if (p == null || !p.isTextual()) {
            throw ApiException.badRequest("'prompt' is " + (p == null ? "required" : "not a string"), "prompt");
        }
        Embedder e = models.get(Json.string(req, "model", null));
        Tokens t = tokens(e, List.of(p.asText()), Json.bool(req, "truncate", true), "prompt");
        float[] v = e.embed(List.of(p.asText()))[0];
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode a = o.putArray("embedding");
        for (float f : v) {
            a.add(f);
        }
        t.report(o);
        ctx.json(o);
    }

    private static void checkDimensions(JsonNode req, Embedder e) {
        Integer dims = Json.integer(req, "dimensions", null, 1, Integer.MAX_VALUE);
        if (dims != null && dims != e.dimension()) {
            throw ApiException.badRequest("'dimensions' " + dims + " is not supported: this model returns " + e.dimension()
                    + "-dimensional vectors only", "dimensions");
        }
    }

    /** Tokens the encoder reads for a request's inputs, and which inputs were cut to its window. */
    record Tokens(int count, List<Integer> truncated) {
        /** Adds {@code truncated_inputs} (indices) to {@code o} when any input was cut. */
        void report(ObjectNode o) {
            if (!truncated.isEmpty()) {
                ArrayNode a = o.putArray("truncated_inputs");
                truncated.forEach(a::add);
            }
        }
    }

    /** Counts tokens; an input past the window is truncated (reported) or, with {@code truncate} false, a 400 naming it. */
    static Tokens tokens(Embedder e, List<String> inputs, boolean truncate, String param) {
        int count = 0;
        List<Integer> cut = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int read = e.countTokens(inputs.get(i));
            int full = e.untruncatedTokens(inputs.get(i));
            if (full > read) {
                if (!truncate) {
                    String which = inputs.size() == 1 ? param : param + "[" + i + "]";
                    throw new ApiException(400, "invalid_request_error", "'" + which + "' has " + full + " tokens but " + e.name()
                            + " reads at most " + read + "; shorten it, or send truncate: true to embed its first " + read + " tokens",
                            param, "context_length_exceeded", null);
                }
                cut.add(i);
            }
            count += read;
        }
        return new Tokens(count, cut);
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
