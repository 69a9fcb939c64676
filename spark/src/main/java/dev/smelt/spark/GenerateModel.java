package dev.smelt.spark;

import dev.smelt.runtime.engine.GenerationRequest;
import dev.smelt.runtime.engine.GenerationResult;
import dev.smelt.runtime.engine.RequestHandle;
import dev.smelt.runtime.sampling.SamplerConfig;
import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * {@code smelt spark generate}: each row's text is a prompt (BOS as the model specifies, as {@code smelt run -p});
 * the output adds {@code completion} (the visible text of the generated tokens, as {@code smelt run} prints it),
 * {@code finish_reason} and {@code completion_tokens}. A partition submits a batch of rows at once to the executor's
 * {@link Generators} engine, so they decode together (continuous batching) with the rows of other tasks.
 */
public record GenerateModel(String modelPath, int threads, int slots, int context, int maxTokens, boolean ignoreEos,
                            Sampling sampling) implements BatchJob.RowModel {
    /** {@link SamplerConfig}'s values, serializable (the closure carries these, never the model). */
    public record Sampling(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN,
                           float frequencyPenalty, float presencePenalty, long seed) implements Serializable {
        SamplerConfig config() {
            return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
        }
    }

    @Override
    public StructField[] columns() {
        return new StructField[] {DataTypes.createStructField("completion", DataTypes.StringType, false),
            DataTypes.createStructField("finish_reason", DataTypes.StringType, false),
            DataTypes.createStructField("completion_tokens", DataTypes.IntegerType, false)};
    }

    @Override
    public List<Object[]> apply(List<String> texts) {
        Generators g = generators();
        SamplerConfig cfg = sampling.config();
        List<RequestHandle> handles = new ArrayList<>(texts.size());
        for (String t : texts) {
            int[] ids = g.tokenizer.encode(t, true, false);
            if (ids.length == 0) {
                throw new IllegalArgumentException("a prompt is empty (the row's text has no tokens)");
            }
            if ((long) ids.length + maxTokens > g.context) {
                throw new IllegalArgumentException("a prompt of " + ids.length + " tokens + --max-tokens " + maxTokens + " exceed the context of "
                        + g.context + " tokens; raise --ctx (" + abbreviate(t) + ")");
            }
            handles.add(g.engine.submit(new GenerationRequest(ids, cfg, maxTokens, id -> !ignoreEos && g.tokenizer.isEndOfGeneration(id),
                    (tok, logits) -> true)));
        }
        List<Object[]> out = new ArrayList<>(texts.size());
        for (RequestHandle h : handles) {
            GenerationResult r = h.result().join();
            if (r.error() != null) {
                throw new IllegalStateException("generation failed: " + r.error().getMessage(), r.error());
            }
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            for (int tok : r.tokens()) {
                if (!g.tokenizer.isSpecial(tok)) {
                    text.writeBytes(g.tokenizer.tokenBytes(tok));
                }
            }
            out.add(new Object[] {text.toString(StandardCharsets.UTF_8), r.finishReason(), r.tokens().length});
        }
        return out;
    }

    private static String abbreviate(String t) {
        return t.length() <= 40 ? t : t.substring(0, 40) + "...";
    }

    @Override
    public int batch() {
        return slots * 4; // more rows than slots: a finished sequence's slot takes the next waiting row at once
    }

    @Override
    public void check() {
        if (!Files.isRegularFile(Path.of(modelPath))) {
            throw new IllegalArgumentException("--model " + modelPath + ": no such model file (a .gguf on storage every executor reads)");
        }
        if (maxTokens < 0 || slots < 1 || context < 2) {
            throw new IllegalArgumentException("need --max-tokens >= 0, --slots >= 1 and --ctx >= 2; got " + maxTokens + ", " + slots + ", " + context);
        }
        sampling.config(); // its own checks (temperature >= 0, top-p in (0, 1], ...)
    }

    @Override
    public long warm() {
        generators();
        return ExecutorModels.takeLoadMillis(key());
    }

    private Generators generators() {
        return ExecutorModels.generators(key());
    }

    private ExecutorModels.Key key() {
        return new ExecutorModels.Key("generator", Path.of(modelPath).toAbsolutePath().normalize() + "#slots=" + slots + "#ctx=" + context,
                ExecutorModels.threads(threads));
    }
}
