package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** classify-train then classify, end to end on a tiny real-text dataset with the built-in encoder. */
class ClassifyCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void trainsThenClassifiesJsonl(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("train.csv");
        StringBuilder csv = new StringBuilder("utterance,intent\n");
        String[][] examples = {
            {"card", "my card has not arrived", "when will my new card come", "still waiting for the card I ordered",
                "card delivery is late", "where is my card", "the card never showed up"},
            {"refund", "I want my money back", "please refund this purchase", "how do I get a refund",
                "refund the charge", "can I return it for a refund", "give me a refund"},
            {"pin", "how do I change my PIN", "I forgot my PIN", "reset my pin code", "my PIN is blocked",
                "set a new PIN", "unlock my pin"}};
        for (String[] ex : examples) {
            for (int i = 1; i < ex.length; i++) {
                csv.append('"').append(ex[i]).append("\",").append(ex[0]).append('\n');
            }
        }
        Files.writeString(data, csv);
        Path out = dir.resolve("clf");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--text-column", "utterance",
                "--label-column", "intent", "--out", out.toString(), "--method", "head", "--val-fraction", "0.34", "--lr", "0.05", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.exists(out.resolve("classifier.json"))).isTrue();
        JsonNode report = JSON.readTree(r.out());
        assertThat(report.path("validation_examples").asInt()).isEqualTo(6);
        String in = "{\"text\": \"my new card did not arrive yet\"}\n{\"text\": \"refund me please\"}\n";
        EmbedCommandTest.Result c = EmbedCommandTest.run(in, "classify", "--model", out.toString(), "--top-k", "2");
        assertThat(c.code()).as(c.err()).isZero();
        String[] lines = c.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        JsonNode first = JSON.readTree(lines[0]);
        assertThat(first.path("top").get(0).path("label").asText()).isEqualTo("card");
        assertThat(first.path("probability").asDouble()).isBetween(0.0, 1.0);
        assertThat(JSON.readTree(lines[1]).path("top").get(0).path("label").asText()).isEqualTo("refund");
        // a bad line after good ones: the good lines' results come out first, then the error naming the line
        EmbedCommandTest.Result partial = EmbedCommandTest.run(in + "{not json\n", "classify", "--model", out.toString());
        assertThat(partial.code()).isEqualTo(1);
        assertThat(partial.out().strip().split("\n")).hasSize(2);
        assertThat(partial.err()).contains("stdin line 3: not valid JSON").doesNotContain("\tat ");
        EmbedCommandTest.Result bad = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--label-column", "nope",
                "--out", dir.resolve("x").toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("no column 'text'");
        EmbedCommandTest.Result missing = EmbedCommandTest.run("", "classify", "--model", dir.toString());
        assertThat(missing.err()).contains("not a classifier directory");
    }

    @Test
    void abstainsOnlyWhenAskedOrLearnableFromAnOutOfScopeLabel(@TempDir Path dir) throws Exception {
        String[][] examples = {
            {"card", "my card has not arrived", "when will my new card come", "still waiting for the card I ordered",
                "card delivery is late", "where is my card", "the card never showed up"},
            {"refund", "I want my money back", "please refund this purchase", "how do I get a refund",
                "refund the charge", "can I return it for a refund", "give me a refund"},
            {"oos", "what is the weather tomorrow", "play some jazz music", "how tall is mount everest",
                "tell me a joke about cats", "book a table for two tonight", "who won the football game"}};
        StringBuilder csv = new StringBuilder("text,label\n");
        StringBuilder inScope = new StringBuilder("text,label\n");
        for (String[] ex : examples) {
            for (int i = 1; i < ex.length; i++) {
                String row = '"' + ex[i] + "\"," + ex[0] + '\n';
                csv.append(row);
                if (!ex[0].equals("oos")) {
                    inScope.append(row);
                }
            }
        }
        Path withOos = Files.writeString(dir.resolve("oos.csv"), csv);
        Path plain = Files.writeString(dir.resolve("plain.csv"), inScope);
        String far = "{\"text\": \"what is the capital of peru\"}\n";

        // default: no out-of-scope label, nothing asked → threshold 0, the best label is always answered
        Path a = dir.resolve("a");
        EmbedCommandTest.Result r = EmbedCommandTest.run("", "classify-train", "--data", plain.toString(), "--out", a.toString(),
                "--method", "head", "--val-fraction", "0.34", "--lr", "0.05", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode clf = JSON.readTree(a.resolve("classifier.json").toFile());
        assertThat(clf.path("threshold").asDouble()).isZero();
        assertThat(clf.path("abstention").path("mode").asText()).isEqualTo("none");
        assertThat(a.resolve("distance.json")).exists();
        JsonNode line = JSON.readTree(EmbedCommandTest.run(far, "classify", "--model", a.toString()).out().strip());
        assertThat(line.path("label").asText()).isIn("card", "refund");
        assertThat(line.path("distance_confidence").asDouble()).isBetween(0.0, 1.0);

        // a label named oos: not a class; the threshold is fitted on its examples and recorded as such
        Path b = dir.resolve("b");
        r = EmbedCommandTest.run("", "classify-train", "--data", withOos.toString(), "--out", b.toString(),
                "--method", "head", "--val-fraction", "0.34", "--lr", "0.05", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        clf = JSON.readTree(b.resolve("classifier.json").toFile());
        assertThat(clf.path("labels").toString()).doesNotContain("oos");
        assertThat(clf.path("abstention").path("mode").asText()).isEqualTo("oos_label");
        assertThat(clf.path("abstention").path("oos_examples").asInt()).isEqualTo(6);
        assertThat(clf.path("threshold").asDouble()).isEqualTo(clf.path("abstention").path("threshold").asDouble());

        // asked for: an abstain rate sets a threshold; --raw prints the best label anyway
        Path c = dir.resolve("c");
        r = EmbedCommandTest.run("", "classify-train", "--data", plain.toString(), "--out", c.toString(), "--method", "head",
                "--val-fraction", "0.34", "--lr", "0.05", "--threads", "2", "--oos-threshold", "0.999");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(JSON.readTree(c.resolve("classifier.json").toFile()).path("abstention").path("mode").asText()).isEqualTo("threshold");
        line = JSON.readTree(EmbedCommandTest.run(far, "classify", "--model", c.toString()).out().strip());
        assertThat(line.path("label").asText()).isEqualTo("unknown");
        assertThat(line.path("raw_label").asText()).isIn("card", "refund");
        line = JSON.readTree(EmbedCommandTest.run(far, "classify", "--model", c.toString(), "--raw").out().strip());
        assertThat(line.path("label").asText()).isEqualTo(line.path("raw_label").asText());

        EmbedCommandTest.Result both = EmbedCommandTest.run("", "classify-train", "--data", plain.toString(), "--out", dir.resolve("d").toString(),
                "--method", "head", "--oos-threshold", "0.5", "--abstain-rate", "0.1");
        assertThat(both.code()).isEqualTo(1);
        assertThat(both.err()).contains("not both").doesNotContain("at dev.smelt");
        EmbedCommandTest.Result badLabel = EmbedCommandTest.run("", "classify-train", "--data", plain.toString(), "--out", dir.resolve("d").toString(),
                "--method", "head", "--oos-label", "nope");
        assertThat(badLabel.code()).isEqualTo(1);
        assertThat(badLabel.err()).contains("--oos-label 'nope' is not a label");
    }
}
