package dev.smelt.compress.convert;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The parts of a Hugging Face {@code config.json} a decoder conversion needs, validated with errors
 * that name the file and field. Immutable.
 *
 * @param arch     GGUF architecture name (llama, qwen2, qwen3)
 * @param headDim  {@code head_dim}, or hidden_size / num_attention_heads when absent
 */
public record HfConfig(Path file, JsonNode json, String hfArchitecture, String arch, int dim, int layers, int heads, int kvHeads,
                       int headDim, int ffn, int vocab, int context, double ropeTheta, double normEps, boolean tiedEmbeddings) {
    /** Hugging Face class name → GGUF architecture. */
    public static final Map<String, String> ARCHITECTURES = Map.of(
            "LlamaForCausalLM", "llama", "MistralForCausalLM", "llama",
            "Qwen2ForCausalLM", "qwen2", "Qwen3ForCausalLM", "qwen3");

    public static HfConfig read(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": not found (a Hugging Face checkpoint directory needs config.json)");
        }
        JsonNode j = HfTokenizerMetadata.parse(file);
        JsonNode archs = j.path("architectures");
        if (!archs.isArray() || archs.isEmpty()) {
            throw new IOException(file + ": field 'architectures' is missing or empty");
        }
        String hf = archs.get(0).asText();
        String arch = ARCHITECTURES.get(hf);
        if (arch == null) {
            throw new IOException(file + ": architectures[0] = " + dev.smelt.model.text.Quote.of(hf) + " is not supported; supported: "
                    + List.copyOf(new java.util.TreeSet<>(ARCHITECTURES.keySet())));
        }
        int dim = positive(j, "hidden_size", file);
        int heads = positive(j, "num_attention_heads", file);
        int kv = j.has("num_key_value_heads") ? positive(j, "num_key_value_heads", file) : heads;
        if (heads % kv != 0) {
            throw new IOException(file + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kv);
        }
        int hd = j.has("head_dim") && !j.get("head_dim").isNull() ? positive(j, "head_dim", file) : dim / heads;
        if (!j.has("head_dim") && dim % heads != 0) {
            throw new IOException(file + ": hidden_size " + dim + " is not a multiple of num_attention_heads " + heads);
        }
        int context = j.hasNonNull("max_position_embeddings") ? positive(j, "max_position_embeddings", file) : 2048;
        double theta = j.hasNonNull("rope_theta") ? number(j, "rope_theta", file) : 10000;
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IOException(file + ": field 'rope_theta' must be a positive number, got " + theta);
        }
        double eps = number(j, "rms_norm_eps", file);
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IOException(file + ": field 'rms_norm_eps' must be a non-negative number, got " + eps);
        }
        return new HfConfig(file, j, hf, arch, dim, positive(j, "num_hidden_layers", file), heads, kv, hd,
                positive(j, "intermediate_size", file), positive(j, "vocab_size", file),
                context, theta, eps, j.path("tie_word_embeddings").asBoolean(false));
    }

    private static int positive(JsonNode j, String field, Path file) throws IOException {
        JsonNode v = j.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new IOException(file + ": field '" + field + "' must be a positive integer, got "
                    + (v == null ? "nothing" : dev.smelt.model.text.Quote.cut(v)));
        }
        return v.asInt();
    }

    private static double number(JsonNode j, String field, Path file) throws IOException {
        JsonNode v = j.get(field);
        if (v == null || !v.isNumber()) {
            throw new IOException(file + ": field '" + field + "' must be a number, got " + (v == null ? "nothing" : dev.smelt.model.text.Quote.cut(v)));
        }
        return v.asDouble();
    }
}
