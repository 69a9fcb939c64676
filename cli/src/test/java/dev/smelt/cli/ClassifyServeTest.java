package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.server.SmeltServer;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * End to end on real Banking77 rows: {@code smelt classify-train --method head} on a few dozen examples, then
 * {@code smelt serve DIR} (built as the command builds it) answers {@code /v1/classify} exactly as
 * {@code smelt classify --model DIR} does for the same texts.
 */
class ClassifyServeTest {
    /** Both paths compute the same embeddings; JIT-compiled Vector API reductions may differ in the last float bits. */
    static final double PROBABILITY_TOL = 1e-5;
    static final Set<String> INTENTS = Set.of("card_arrival", "exchange_rate", "lost_or_stolen_card", "top_up_failed");
    static final int PER_INTENT = 8;
    static final int TOP_K = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void servedClassifierAnswersLikeSmeltClassify(@TempDir Path dir) throws Exception {
        Path train = dir.resolve("train.csv");
        writeSample(SharedData.require("data/banking77/train.csv"), train);
        Path clf = dir.resolve("b77");
        EmbedCommandTest.Result t = EmbedCommandTest.run("", "classify-train", "--data", train.toString(), "--text-column", "text",
                "--label-column", "category", "--out", clf.toString(), "--method", "head", "--val-fraction", "0.25", "--lr", "0.05",
                "--threads", "2");
        assertThat(t.code()).as(t.err()).isZero();

        // the texts: held-out Banking77 test rows of the same intents, and one off-topic line
        List<String> texts = new ArrayList<>(sample(SharedData.require("data/banking77/test.csv"), 2).texts());
        texts.add("What is the capital of France?");
        StringBuilder jsonl = new StringBuilder();
        for (String s : texts) {
            jsonl.append(JSON.createObjectNode().put("text", s)).append('\n');
        }
        EmbedCommandTest.Result c = EmbedCommandTest.run(jsonl.toString(), "classify", "--model", clf.toString(), "--top-k", "" + TOP_K);
        assertThat(c.code()).as(c.err()).isZero();
        String[] lines = c.out().strip().split("\n");
        assertThat(lines).hasSize(texts.size());

        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("intents=" + clf, clf.toString(), "--port", "0", "--alias", "gpt-intents=b77", "-t", "2");
        try (SmeltServer server = cmd.build()) {
            String base = "http://127.0.0.1:" + server.start();
            ArrayNode in = JSON.createArrayNode();
            texts.forEach(in::add);
            for (String model : List.of("b77", "intents", "gpt-intents")) {
                HttpResponse<String> r = post(base, JSON.createObjectNode().put("model", model).put("top_k", TOP_K).set("input", in).toString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode data = JSON.readTree(r.body()).path("data");
                assertThat(data).hasSize(texts.size());
                for (int i = 0; i < texts.size(); i++) {
                    JsonNode cli = JSON.readTree(lines[i]);
                    JsonNode http = data.get(i);
                    assertThat(http.path("label").asText()).as("%s text %d: %s", model, i, texts.get(i)).isEqualTo(cli.path("label").asText());
                    assertThat(http.path("probability").asDouble()).as("%s text %d", model, i)
                            .isCloseTo(cli.path("probability").asDouble(), within(PROBABILITY_TOL));
                    assertThat(http.path("top_k")).hasSize(TOP_K);
                    for (int k = 0; k < TOP_K; k++) {
                        assertThat(http.path("top_k").get(k).path("label").asText()).as("%s text %d rank %d", model, i, k)
                                .isEqualTo(cli.path("top").get(k).path("label").asText());
                        assertThat(http.path("top_k").get(k).path("probability").asDouble())
                                .isCloseTo(cli.path("top").get(k).path("probability").asDouble(), within(PROBABILITY_TOL));
                    }
                    assertThat(http.path("num_classes").asInt()).isEqualTo(INTENTS.size());
                }
            }
            HttpResponse<String> models = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.body()).contains("\"b77\"").contains("\"intents\"").contains("\"gpt-intents\"");
        }
    }

    @Test
    void aNamedDirectoryThatIsNoClassifierIsAClearStartupError(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("empty"));
        PrintStreams err = new PrintStreams();
        int code;
        try (err) {
            code = Main.execute("serve", "intents=" + dir.resolve("empty"), "--port", "0");
        }
        assertThat(code).isNotZero();
        assertThat(err.text()).contains("not a classifier directory").contains("empty").doesNotContain("\tat ");
    }

    /** Captures System.err while open. */
    private static final class PrintStreams implements AutoCloseable {
        private final java.io.PrintStream old = System.err;
        private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

        PrintStreams() {
            System.setErr(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        }

        String text() {
            return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            System.setErr(old);
        }
    }

    private static HttpResponse<String> post(String base, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/classify")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The first {@code perIntent} rows of each of the four intents. */
    private static LabeledTexts sample(Path csv, int perIntent) throws Exception {
        LabeledTexts all = LabeledTexts.read(csv, "text", "category");
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < all.texts().size(); i++) {
            String l = all.labels().get(i);
            if (INTENTS.contains(l) && seen.merge(l, 1, Integer::sum) <= perIntent) {
                texts.add(all.texts().get(i));
                labels.add(l);
            }
        }
        return new LabeledTexts(texts, labels);
    }

    private static void writeSample(Path from, Path to) throws Exception {
        LabeledTexts s = sample(from, PER_INTENT);
        StringBuilder csv = new StringBuilder("text,category\n");
        for (int i = 0; i < s.texts().size(); i++) {
            csv.append('"').append(s.texts().get(i).replace("\"", "\"\"")).append("\",").append(s.labels().get(i)).append('\n');
        }
        Files.writeString(to, csv);
    }
}
