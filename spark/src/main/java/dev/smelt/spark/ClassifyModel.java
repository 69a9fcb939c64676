package dev.smelt.spark;

import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * {@code smelt spark classify}: label and probability per row, as {@code smelt classify} writes them (label is
 * "unknown" where the classifier abstains, unless {@code raw}).
 */
public record ClassifyModel(String modelDir, int threads, boolean raw) implements BatchJob.RowModel {
    @Override
    public StructField[] columns() {
        return new StructField[] {DataTypes.createStructField("label", DataTypes.StringType, false),
            DataTypes.createStructField("probability", DataTypes.DoubleType, false)};
    }

    @Override
    public List<Object[]> apply(List<String> texts) {
        TextClassifier c = model();
        List<SoftmaxClassifier.Prediction> ps;
        synchronized (c) { // tasks of one JVM take turns: each batch already uses every engine thread
            ps = c.predict(texts);
        }
        List<Object[]> out = new ArrayList<>(ps.size());
        for (SoftmaxClassifier.Prediction p : ps) {
            out.add(new Object[] {raw ? c.bestLabel(p) : p.label(), p.probability()});
        }
        return out;
    }

    @Override
    public void check() {
        if (!TextClassifier.isClassifierDir(java.nio.file.Path.of(modelDir))) {
            throw new IllegalArgumentException("--model " + modelDir + ": not a classifier directory (no classifier.json; train one with smelt classify-train)");
        }
    }

    @Override
    public int batch() {
        return BertEmbedder.BATCH;
    }

    @Override
    public long warm() {
        model();
        return ExecutorModels.takeLoadMillis(key());
    }

    private TextClassifier model() {
        return ExecutorModels.classifier(modelDir, ExecutorModels.threads(threads));
    }

    private ExecutorModels.Key key() {
        return new ExecutorModels.Key("classifier", java.nio.file.Path.of(modelDir).toAbsolutePath().normalize().toString(),
                ExecutorModels.threads(threads));
    }
}
