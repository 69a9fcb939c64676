package dev.smelt.spark;

import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/** {@code smelt spark embed}: the sentence embedding per row (array of float), as {@code smelt embed} computes it. */
public record EmbedModel(String model, int threads, int batch) implements BatchJob.RowModel {
    @Override
    public StructField[] columns() {
        return new StructField[] {DataTypes.createStructField("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false)};
    }

    @Override
    public List<Object[]> apply(List<String> texts) {
        BertEmbedder e = ExecutorModels.embedder(model, ExecutorModels.threads(threads));
        float[][] v;
        synchronized (e) { // one batch at a time per JVM: each already uses every engine thread
            v = e.embed(texts);
        }
        List<Object[]> out = new ArrayList<>(v.length);
        for (float[] row : v) {
            Float[] boxed = new Float[row.length];
            for (int i = 0; i < row.length; i++) {
                boxed[i] = row[i];
            }
            out.add(new Object[] {boxed});
        }
        return out;
    }

    @Override
    public void check() {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        if (Embedders.builtinName(model) == null && !java.nio.file.Files.exists(java.nio.file.Path.of(model))) {
            throw new IllegalArgumentException("embedding model '" + model + "' is neither a built-in name " + Embedders.builtinNames()
                    + " nor an existing file or directory");
        }
    }

    @Override
    public long warm() {
        ExecutorModels.embedder(model, ExecutorModels.threads(threads));
        String ref = Embedders.builtinName(model) != null ? Embedders.builtinName(model)
                : java.nio.file.Path.of(model).toAbsolutePath().normalize().toString();
        return ExecutorModels.takeLoadMillis(new ExecutorModels.Key("embedder", ref, ExecutorModels.threads(threads)));
    }
}
