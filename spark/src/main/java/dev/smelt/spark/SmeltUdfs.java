package dev.smelt.spark;

import dev.smelt.model.encoder.BertEmbedder;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;

/**
 * smelt's models as Spark SQL functions, for users' own jobs:
 * <pre>
 *   SmeltUdfs.register(spark);
 *   spark.sql("SELECT text, smelt_classify('/models/tickets', text) AS label FROM tickets");
 *   spark.sql("SELECT id, smelt_embed('all-minilm-l6-v2', text) AS v FROM docs");
 * </pre>
 * {@code smelt_classify(model, text)} returns the label (as {@code smelt classify} does, "unknown" where it abstains),
 * {@code smelt_classify_probability(model, text)} its probability, {@code smelt_embed(model, text)} the embedding
 * (array&lt;float&gt;). The model argument is a classifier directory or an embedding model name/path, readable on every
 * executor (shared storage). Each executor JVM opens each model once ({@link ExecutorModels}) with
 * {@code spark.executor.cores} threads; a SQL function sees one row at a time, so the {@code smelt spark} commands,
 * which batch rows, are faster for whole tables. A null text gives null.
 */
public final class SmeltUdfs {
    private SmeltUdfs() {
    }

    /** Registers smelt_classify, smelt_classify_probability and smelt_embed in {@code spark}'s session. */
    public static void register(SparkSession spark) {
        int threads = Integer.parseInt(spark.conf().get("spark.executor.cores",
                String.valueOf(Math.max(0, Masters.executorCores(spark.sparkContext().master())))));
        spark.udf().register("smelt_classify", (UDF2<String, String, String>) (model, text) -> text == null ? null
                : label(model, text, threads), DataTypes.StringType);
        spark.udf().register("smelt_classify_probability", (UDF2<String, String, Double>) (model, text) -> text == null ? null
                : ExecutorModels.classifier(model, ExecutorModels.threads(threads)).predict(text).probability(), DataTypes.DoubleType);
        spark.udf().register("smelt_embed", (UDF2<String, String, float[]>) (model, text) -> text == null ? null
                : embed(model, text, threads), DataTypes.createArrayType(DataTypes.FloatType, false));
    }

    private static String label(String model, String text, int threads) {
        return ExecutorModels.classifier(model, ExecutorModels.threads(threads)).predict(text).label();
    }

    private static float[] embed(String model, String text, int threads) {
        BertEmbedder e = ExecutorModels.embedder(model, ExecutorModels.threads(threads));
        return e.embed(java.util.List.of(text))[0];
    }
}
