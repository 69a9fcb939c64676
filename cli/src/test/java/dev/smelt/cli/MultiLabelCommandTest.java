package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** classify-train on multi-label data (detected from JSONL arrays), then classify: labels above the threshold, bad input. */
class MultiLabelCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Micro-F1 the head must reach on its own training texts (a softmax head or a broken sigmoid/BCE gets at most ~0.7 here). */
    static final double MIN_TRAIN_MICRO_F1 = 0.85;
    /** Two runs embed the same text; Vector API reductions may sum in another order once the JIT compiles them. */
    static final double PROBABILITY_TOL = 1e-5;

    static final String[] CARD = {"my card has not arrived", "when will my new card come", "the card never showed up", "where is my card"};
    static final String[] REFUND = {"I want my money back", "please refund this purchase", "how do I get a refund", "refund the charge"};
    static final String[] BOTH = {"refund me, my card never came", "the card did not arrive so I want my money back",
        "give me a refund for the card that never showed up", "my card is lost, refund the fee"};
    static final String[] NEITHER = {"hello there", "what time is it", "thanks, bye"};

    static String row(String text, String... labels) {
        com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode().put("text", text);
        com.fasterxml.jackson.databind.node.ArrayNode a = o.putArray("intents");
        for (String l : labels) {
            a.add(l);
        }
        return o + "\n";
    }

    static Path data(Path dir) throws Exception {
        StringBuilder s = new StringBuilder();
        for (String t : CARD) {
            s.append(row(t, "card"));
        }
        for (String t : REFUND) {
            s.append(row(t, "refund"));
        }
        for (String t : BOTH) {
            s.append(row(t, "card", "refund"));
        }
        for (String t : NEITHER) {
            s.append(row(t));
        }
        Path p = dir.resolve("train.jsonl");
        Files.writeString(p, s);
        return p;
    }

    @Test
    void trainsDetectsMultiLabelAndClassifiesSetsOfLabels(@TempDir Path dir) throws Exception {
        Path data = data(dir);
        Path out = dir.resolve("clf");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--label-column", "intents",
                "--test", data.toString(), "--out", out.toString(), "--method", "head", "--val-fraction", "0.2", "--lr", "0.05",
                "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("multi-label data (2 labels").contains("3 texts with no label");
        assertThat(r.err()).as("says which row made the data multi-label")
                .contains("multi-label detected: " + data + " line 1: field 'intents' is a JSON array (--no-multi-label");
        JsonNode report = JSON.readTree(r.out());
        assertThat(report.path("multi_label").asBoolean()).isTrue();
        assertThat(report.path("threshold_source").asText()).as("fitted by default").isEqualTo("fitted");
        assertThat(report.path("test_micro_f1").asDouble()).isGreaterThan(MIN_TRAIN_MICRO_F1);
        assertThat(report.path("test_per_label")).hasSize(2);
        JsonNode saved = JSON.readTree(out.resolve("classifier.json").toFile());
        assertThat(saved.path("format").asText()).isEqualTo("smelt-sigmoid-head/1");
        assertThat(saved.path("threshold_source").asText()).isEqualTo("fitted");
        assertThat(out.resolve("distance.json")).doesNotExist();

        String in = "{\"text\": \"my card never arrived\"}\n{\"text\": \"refund me because my card never came\"}\n{\"text\": \"good morning\"}\n";
        EmbedCommandTest.Result c = EmbedCommandTest.run(in, "classify", "--model", out.toString());
        assertThat(c.code()).as(c.err()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String l : c.out().strip().split("\n")) {
            lines.add(JSON.readTree(l));
        }
        assertThat(lines).hasSize(3);
        assertThat(labels(lines.get(0))).contains("card");
        assertThat(labels(lines.get(1))).containsExactlyInAnyOrder("card", "refund");
        for (JsonNode l : lines) {
            double th = l.path("threshold").asDouble();
            for (JsonNode a : l.path("labels")) {
                assertThat(a.path("probability").asDouble()).isGreaterThanOrEqualTo(th);
            }
            assertThat(l.path("label").asText()).isEqualTo(l.path("labels").isEmpty() ? "" : l.path("labels").get(0).path("label").asText());
        }
        // the second text carries both labels, each near certain: independent sigmoids, not a distribution
        assertThat(lines.get(1).path("labels").get(0).path("probability").asDouble()
                + lines.get(1).path("labels").get(1).path("probability").asDouble()).isGreaterThan(1.0);
        // reloaded: the same answers (probabilities to the last float bits the JIT's vector reductions may reorder)
        EmbedCommandTest.Result again = EmbedCommandTest.run(in, "classify", "--model", out.toString());
        String[] second = again.out().strip().split("\n");
        for (int i = 0; i < lines.size(); i++) {
            JsonNode b = JSON.readTree(second[i]);
            assertThat(labels(b)).isEqualTo(labels(lines.get(i)));
            assertThat(b.path("probability").asDouble()).isCloseTo(lines.get(i).path("probability").asDouble(), within(PROBABILITY_TOL));
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void fullFineTuneMultiLabelThenClassify(@TempDir Path dir) throws Exception {
        Path data = data(dir);
        Path out = dir.resolve("full");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--label-column", "intents",
                "--out", out.toString(), "--method", "full", "--epochs", "3", "--batch-size", "4", "--val-fraction", "0.2", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode report = JSON.readTree(r.out());
        assertThat(report.path("multi_label").asBoolean()).isTrue();
        assertThat(report.path("method").asText()).isEqualTo("full");
        assertThat(report.path("validation_loss_per_epoch")).hasSize(3);
        assertThat(out.resolve("encoder").resolve("model.safetensors")).exists();
        assertThat(JSON.readTree(out.resolve("classifier.json").toFile()).path("format").asText()).isEqualTo("smelt-sigmoid-head/1");
        EmbedCommandTest.Result c = EmbedCommandTest.run("{\"text\": \"my card never arrived\"}\n", "classify", "--model", out.toString());
        assertThat(c.code()).as(c.err()).isZero();
        JsonNode line = JSON.readTree(c.out().strip());
        assertThat(line.has("labels")).isTrue();
        assertThat(line.path("probability").asDouble()).isBetween(0.0, 1.0);
    }

    static List<String> labels(JsonNode line) {
        List<String> out = new ArrayList<>();
        line.path("labels").forEach(a -> out.add(a.path("label").asText()));
        return out;
    }

    @Test
    void badMultiLabelInputAndOptionsAreClearErrors(@TempDir Path dir) throws Exception {
        Path data = data(dir);
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--label-column", "intents",
                "--out", dir.resolve("o").toString(), "--method", "setfit");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--method setfit does not support multi-label data").doesNotContain("\tat ");
        r = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--label-column", "intents",
                "--out", dir.resolve("o").toString(), "--oos-label", "oos");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("for single-label data");
        r = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--label-column", "intents",
                "--out", dir.resolve("o").toString(), "--threshold", "2");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--threshold must be in (0, 1)");
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"a\", \"intents\": [\"x\"]}\n{\"text\": \"b\", \"intents\": [\"x\", null]}\n");
        r = EmbedCommandTest.run("", "classify-train", "--data", bad.toString(), "--label-column", "intents", "--out", dir.resolve("o").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("bad.jsonl line 2: field 'intents' element 2 is null, expected a string").doesNotContain("\tat ");
        Files.writeString(bad, "{\"text\": \"a\", \"intents\": [\"x\"]}\n{\"text\": \"b\", \"intents\": 3}\n");
        r = EmbedCommandTest.run("", "classify-train", "--data", bad.toString(), "--label-column", "intents", "--out", dir.resolve("o").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("bad.jsonl line 2: field 'intents' is a number, expected a string or an array of strings").doesNotContain("\tat ");
        Path csv = dir.resolve("single.csv");
        Files.writeString(csv, "text,label\nhello,a\nbye,b\n");
        r = EmbedCommandTest.run("", "classify-train", "--data", csv.toString(), "--out", dir.resolve("o").toString(), "--threshold", "0.4");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--threshold is the decision threshold of multi-label data");
        r = EmbedCommandTest.run("", "classify-train", "--data", csv.toString(), "--out", dir.resolve("o").toString(), "--label-separator", "x");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--label-separator must be non-empty without letters");
    }
}
