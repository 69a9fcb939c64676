package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.testkit.SharedData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code smelt embed} end to end: JSONL in, JSONL out, errors with line numbers. */
class EmbedCommandTest {
    /** Same bound as the model module's golden test. */
    static final double MIN_COSINE = 0.9999;
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {
    }

    static Result run(String stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void defaultModelEmbedsEachLineInOrderLikeOnnxRuntime() throws Exception {
        JsonNode golden = JSON.readTree(SharedData.golden("encoder-embeddings.golden.json").toFile());
        JsonNode sentences = golden.get("sentences");
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            in.append(JSON.writeValueAsString(JSON.createObjectNode().put("text", sentences.get(i).asText()))).append('\n');
            if (i == 0) {
                in.append("\n"); // blank lines are skipped
            }
        }
        Result r = run(in.toString(), "embed", "--batch", "2", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode e = JSON.readTree(lines[i]).get("embedding");
            assertThat(e.size()).isEqualTo(384);
            double cos = cosine(golden.get("embeddings").get("all-minilm-l6-v2").get(i), e);
            assertThat(cos).as("line %d cosine", i).isGreaterThanOrEqualTo(MIN_COSINE);
        }
    }

    @Test
    void badLineFailsWithItsLineNumber() {
        Result r = run("{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n", "embed");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("stdin line 2").contains("'text' is missing").doesNotContain("\tat ");
        Result bad = run("{\"text\": \"ok\"}\nnot json\n", "embed");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("stdin line 2: not valid JSON");
        Result notString = run("{\"text\": 5}\n", "embed");
        assertThat(notString.err()).contains("stdin line 1: field 'text' is not a string");
    }

    @Test
    void unknownModelIsAClearError() {
        Result r = run("", "embed", "--model", "no-such-embedder");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no-such-embedder").contains("all-minilm-l6-v2");
    }

    static double cosine(JsonNode a, JsonNode b) {
        double dot = 0, x = 0, y = 0;
        for (int i = 0; i < a.size(); i++) {
            double p = a.get(i).asDouble(), q = b.get(i).asDouble();
            dot += p * q;
            x += p * p;
            y += q * q;
        }
        return dot / Math.sqrt(x * y);
    }
}
