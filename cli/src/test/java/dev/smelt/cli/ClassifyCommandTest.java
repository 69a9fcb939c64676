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
        EmbedCommandTest.Result bad = EmbedCommandTest.run("", "classify-train", "--data", data.toString(), "--label-column", "nope",
                "--out", dir.resolve("x").toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("no column 'text'");
        EmbedCommandTest.Result missing = EmbedCommandTest.run("", "classify", "--model", dir.toString());
        assertThat(missing.err()).contains("not a classifier directory");
    }
}
