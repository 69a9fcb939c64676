package dev.smelt.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real multi-JVM cluster ({@code local-cluster[2,1,1024]}: a master and two workers in this JVM, each worker
 * starting its executor as a separate JVM), results equal the single-machine path row for row. One cluster for all
 * checks: starting one costs seconds on a 2-core machine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalClusterTest {
    /** Cross-JVM and re-batched results may differ in the last float bits only. */
    static final double TOLERANCE = 1e-6;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROWS = 70;

    @TempDir
    static Path dir;
    SparkSession spark;
    Path model;
    List<String> texts;
    Path input;

    @BeforeAll
    void start() throws Exception {
        model = Fixtures.classifier(Files.createDirectories(dir.resolve("clf")));
        texts = Fixtures.texts(ROWS);
        input = Fixtures.csv(dir.resolve("in.csv"), texts);
        spark = SparkJobs.session("local-cluster[2,1,1024]", "smelt-test");
    }

    @AfterAll
    void stop() {
        if (spark != null) {
            spark.stop();
        }
        ExecutorModels.closeAll();
    }

    @Test
    void classifyEqualsTheSingleMachinePathRowForRowWithOneModelLoadPerExecutorJvm() throws Exception {
        Path out = dir.resolve("labels.jsonl");
        BatchJob.Summary s = BatchJob.run(spark, new BatchJob.Io("local-cluster[2,1,1024]", input.toString(), null, out.toString(), "text"),
                new ClassifyModel(model.toString(), 1, false));
        List<SoftmaxClassifier.Prediction> expected = Fixtures.classifyLocally(model, texts);
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(ROWS);
        assertThat(s.rows()).isEqualTo(ROWS);
        for (int i = 0; i < ROWS; i++) {
            JsonNode row = JSON.readTree(lines.get(i));
            assertThat(row.path("id").asText()).as("row %d", i).isEqualTo(String.valueOf(i));
            assertThat(row.path("text").asText()).as("row %d", i).isEqualTo(texts.get(i));
            assertThat(row.path("label").asText()).as("row %d label", i).isEqualTo(expected.get(i).label());
            double p = row.path("probability").asDouble();
            assertThat(Math.abs(p - expected.get(i).probability())).as("row %d probability %s vs %s", i, p, expected.get(i).probability())
                    .isLessThanOrEqualTo(TOLERANCE);
        }
        // the models were loaded by executor JVMs (not this one), at most once per executor
        long me = ProcessHandle.current().pid();
        assertThat(s.loads()).isNotEmpty().hasSizeLessThanOrEqualTo(2).allSatisfy(l -> assertThat(l).contains("(pid ").doesNotContain("(pid " + me + ")"));
        assertThat(s.loads().stream().map(l -> l.replaceAll(" \\d+ ms$", "")).distinct().count()).isEqualTo(s.loads().size());
    }

    @Test
    @Tag("slow") // 40 s more on 2 cores; the CLI's local-mode test covers embed by default
    void embedEqualsTheSingleMachineVectorsToOneInAMillion() throws Exception {
        Path out = dir.resolve("vectors.parquet");
        BatchJob.run(spark, new BatchJob.Io("local-cluster[2,1,1024]", input.toString(), "csv", out.toString(), "text"),
                new EmbedModel(Embedders.DEFAULT, 1, BertEmbedder.BATCH));
        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        float[][] expected;
        try (BertEmbedder e = Embedders.open(Embedders.DEFAULT, 2)) {
            expected = e.embed(texts);
        }
        assertThat(rows).hasSize(ROWS);
        for (Row r : rows) { // a Parquet folder is read back ordered by part size, not written order: rows are matched by id
            int i = Integer.parseInt(r.getAs("id"));
            assertThat(r.<String>getAs("text")).isEqualTo(texts.get(i));
            List<Float> v = r.getList(r.fieldIndex("embedding"));
            assertThat(v).hasSize(expected[i].length);
            for (int j = 0; j < v.size(); j++) {
                float got = v.get(j);
                assertThat((double) Math.abs(got - expected[i][j])).as("row %d dim %d: %s vs %s", i, j, got, expected[i][j])
                        .isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void generateAtTemperatureZeroEqualsOneSequenceAtATimeRowForRow() throws Exception {
        Path gguf = dev.smelt.testkit.SharedData.model("llama.gguf");
        String[] prompts = {"Once upon a time", "The cat sat", "In the beginning", "Hello", "A long time ago", "It was a dark night"};
        StringBuilder jsonl = new StringBuilder();
        for (String p : prompts) {
            jsonl.append(JSON.createObjectNode().put("prompt", p)).append('\n');
        }
        Path in = Files.writeString(dir.resolve("prompts.jsonl"), jsonl);
        Path out = dir.resolve("completions.jsonl");
        GenerateModel.Sampling greedy = new GenerateModel.Sampling(0f, 40, 0.95f, 0.05f, 1f, 64, 0f, 0f, 42);
        BatchJob.run(spark, new BatchJob.Io("local-cluster[2,1,1024]", in.toString(), null, out.toString(), "prompt"),
                new GenerateModel(gguf.toString(), 1, 2, 256, 10, false, greedy));
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(prompts.length);
        try (dev.smelt.model.arch.DecoderModel m = dev.smelt.model.arch.Models.load(gguf);
             dev.smelt.tensor.ThreadPool pool = new dev.smelt.tensor.ThreadPool(1)) {
            dev.smelt.model.tokenizer.Tokenizer tok = dev.smelt.model.tokenizer.Tokenizers.fromGguf(m.file());
            for (int i = 0; i < prompts.length; i++) { // what smelt run does: one sequence, the Generator
                dev.smelt.runtime.Generator.Result r = new dev.smelt.runtime.Generator(m, pool).generate(tok.encode(prompts[i], true, false),
                        m.newCache(256), new dev.smelt.runtime.sampling.Sampler(greedy.config()), 10, tok::isEndOfGeneration, (t, l) -> true);
                StringBuilder want = new StringBuilder();
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                for (int t : r.tokens()) {
                    if (!tok.isSpecial(t)) {
                        bytes.writeBytes(tok.tokenBytes(t));
                    }
                }
                want.append(bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
                JsonNode row = JSON.readTree(lines.get(i));
                assertThat(row.path("prompt").asText()).isEqualTo(prompts[i]);
                assertThat(row.path("completion").asText()).as("row %d", i).isEqualTo(want.toString());
                assertThat(row.path("completion_tokens").asInt()).isEqualTo(r.tokens().length);
            }
        }
    }

    @Test
    void sqlFunctionsClassifyAndEmbedInAUsersOwnQuery() throws Exception {
        SmeltUdfs.register(spark);
        List<String> some = texts.subList(0, 12);
        List<Row> data = new ArrayList<>();
        for (String t : some) {
            data.add(RowFactory.create(t));
        }
        data.add(RowFactory.create((Object) null));
        Dataset<Row> tickets = spark.createDataFrame(data, new StructType().add("text", DataTypes.StringType));
        tickets.createOrReplaceTempView("tickets");
        List<Row> got = spark.sql("SELECT text, smelt_classify('" + model + "', text) AS label, smelt_classify_probability('" + model
                + "', text) AS p, smelt_embed('all-minilm-l6-v2', text) AS v FROM tickets").collectAsList();
        List<SoftmaxClassifier.Prediction> expected = Fixtures.classifyLocally(model, some);
        assertThat(got).hasSize(some.size() + 1);
        try (BertEmbedder e = Embedders.open(Embedders.DEFAULT, 1)) {
            for (int i = 0; i < some.size(); i++) {
                Row r = got.get(i);
                assertThat(r.getString(1)).as("row %d", i).isEqualTo(expected.get(i).label());
                assertThat(Math.abs(r.getDouble(2) - expected.get(i).probability())).isLessThanOrEqualTo(TOLERANCE);
                float[] want = e.embed(List.of(some.get(i)))[0];
                List<Float> v = r.getList(3);
                for (int j = 0; j < want.length; j++) {
                    assertThat((double) Math.abs(v.get(j) - want[j])).as("row %d dim %d", i, j).isLessThanOrEqualTo(TOLERANCE);
                }
            }
        }
        Row nullRow = got.get(some.size());
        assertThat(nullRow.isNullAt(1)).isTrue();
        assertThat(nullRow.isNullAt(3)).isTrue();
    }

    @Test
    void badInputsAreOneClearLineBeforeAnyWork() throws Exception {
        String out = dir.resolve("x.jsonl").toString();
        ClassifyModel m = new ClassifyModel(model.toString(), 1, false);
        String master = "local-cluster[2,1,1024]";
        assertThatThrownBy(() -> BatchJob.run(spark, new BatchJob.Io(master, input.toString(), null, out, "body"), m))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no column 'body' (columns: id, text)");
        assertThatThrownBy(() -> BatchJob.run(spark, new BatchJob.Io(master, dir.resolve("nope.csv").toString(), null, out, "text"), m))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope.csv: no such file");
        assertThatThrownBy(() -> BatchJob.run(spark, new BatchJob.Io(master, input.toString(), null, dir.resolve("x.txt").toString(), "text"), m))
                .hasMessageContaining("cannot tell the format");
        assertThatThrownBy(() -> BatchJob.run(spark, new BatchJob.Io(master, input.toString(), null, input.toString().replace(".csv", ".jsonl"), "id"),
                new ClassifyModel(dir.resolve("no-model").toString(), 1, false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-model: not a classifier directory");
        assertThat(Files.exists(Path.of(input.toString().replace(".csv", ".jsonl")))).as("no half-written output").isFalse();
    }
}
