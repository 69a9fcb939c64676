package dev.smelt.model.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.model.ModelException;
import dev.smelt.model.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face BERT checkpoint directory: {@code config.json} (model_type bert, hidden_act gelu) and
 * {@code model.safetensors} (F32, F16 or BF16; names with or without a {@code bert.} prefix; Linear
 * weights [out, in] as PyTorch stores them). Stateless.
 */
public final class SafetensorsBertLoader {
    private SafetensorsBertLoader() {
    }

    public static BertWeights load(Path dir, Pooling pooling, boolean normalize, int maxTokens) throws IOException {
        Path cfgPath = dir.resolve("config.json");
        JsonNode cfg = Embedders.readJson(cfgPath);
        if (cfg == null) {
            throw new IOException(dir + ": no config.json");
        }
        String type = cfg.path("model_type").asText("bert");
        if (!type.equals("bert")) {
            throw new ModelException(cfgPath + ": model_type " + dev.smelt.model.text.Quote.of(type) + " is not supported; supported: bert");
        }
        String act = cfg.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new ModelException(cfgPath + ": hidden_act '" + act + "' is not supported; supported: gelu (erf)");
        }
        Path st = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(st)) {
            throw new IOException(dir + ": no model.safetensors (sharded and .bin checkpoints are not read)");
        }
        int maxPos = req(cfg, "max_position_embeddings", cfgPath);
        BertConfig c = new BertConfig(req(cfg, "vocab_size", cfgPath), req(cfg, "hidden_size", cfgPath),
                req(cfg, "num_hidden_layers", cfgPath), req(cfg, "num_attention_heads", cfgPath),
                req(cfg, "intermediate_size", cfgPath), maxPos, cfg.path("type_vocab_size").asInt(2),
                (float) cfg.path("layer_norm_eps").asDouble(Embedders.BERT_EPS), pooling, normalize, Math.min(maxTokens, maxPos));
        try (SafetensorsFile f = SafetensorsFile.open(st)) {
            return HfBertNames.build(c, name -> {
                if (f.entries().containsKey(name)) {
                    return f.floats(name);
                }
                if (f.entries().containsKey("bert." + name)) {
                    return f.floats("bert." + name);
                }
                throw new ModelException(st + ": no tensor '" + name + "' (nor 'bert." + name + "')");
            });
        }
    }

    private static int req(JsonNode cfg, String field, Path p) {
        JsonNode n = cfg.get(field);
        if (n == null || !n.canConvertToInt() || n.asInt() <= 0) {
            throw new ModelException(p + ": field '" + field + "' is missing or not a positive integer");
        }
        return n.asInt();
    }
}
