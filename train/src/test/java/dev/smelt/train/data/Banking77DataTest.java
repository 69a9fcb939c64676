package dev.smelt.train.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.testkit.SharedData;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Banking77 (../shared/data) turned into chat fine-tuning data: intent labels as assistant answers. */
class Banking77DataTest {
    private static final int ROWS = 120;
    private static final String SYSTEM = "Classify the banking customer's message into one intent label.";

    @TempDir
    Path dir;

    /** The first {@code n} rows of a two-column CSV with quoted fields (RFC 4180). */
    static List<String[]> csv(Path p, int n) throws IOException {
        List<String[]> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            r.readLine(); // header text,category
            String line;
            while (rows.size() < n && (line = r.readLine()) != null) {
                List<String> f = new ArrayList<>();
                StringBuilder sb = new StringBuilder();
                boolean q = false;
                for (int i = 0; i < line.length(); i++) {
                    char ch = line.charAt(i);
                    if (q && ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        sb.append('"');
                        i++;
                    } else if (ch == '"') {
                        q = !q;
                    } else if (ch == ',' && !q) {
                        f.add(sb.toString());
                        sb.setLength(0);
                    } else {
                        sb.append(ch);
                    }
                }
                f.add(sb.toString());
                rows.add(f.toArray(String[]::new));
            }
        }
        return rows;
    }

    static Path toMessagesJsonl(Path csv, Path out, int n) throws IOException {
        ObjectMapper m = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (String[] row : csv(csv, n)) {
            ObjectNode o = m.createObjectNode();
            var msgs = o.putArray("messages");
            msgs.addObject().put("role", "system").put("content", SYSTEM);
            msgs.addObject().put("role", "user").put("content", row[0]);
            msgs.addObject().put("role", "assistant").put("content", row[1]);
            sb.append(m.writeValueAsString(o)).append('\n');
        }
        Files.writeString(out, sb.toString());
        return out;
    }

    @Test
    void everyExampleTrainsExactlyItsLabelOnTheReferenceModel() throws Exception {
        Path csv = SharedData.require("data/banking77/train.csv");
        Path jsonl = toMessagesJsonl(csv, dir.resolve("banking77.jsonl"), ROWS);
        List<String[]> rows = csv(csv, ROWS);
        try (GgufFile g = GgufFile.open(SharedData.model("shakespeare.gguf"))) {
            Tokenizer tok = Tokenizers.fromGguf(g);
            TrainingData.Loaded d = TrainingData.load(jsonl, ChatFormat.forModel(g, tok), TrainingData.Options.unlimited());
            assertThat(d.examples()).hasSize(ROWS);
            assertThat(d.stats().trainedTurns).isEqualTo(ROWS);
            for (int i = 0; i < ROWS; i++) {
                TokenizedExample e = d.examples().get(i);
                assertThat(e.source()).isEqualTo("banking77.jsonl:" + (i + 1));
                List<String> runs = TemplatesFixture.trainedRuns(e, tok);
                assertThat(runs).hasSize(1);
                // ChatML fallback on a vocabulary without <|im_end|>: label, the marker as text, then EOS
                assertThat(tok.decode(trained(e), true)).isEqualTo(rows.get(i)[1] + "<|im_end|>");
                assertThat(e.tokens()[lastTarget(e)]).isEqualTo(tok.eos());
            }
            List<PackedBatch> packed = Packing.pack(d.examples(), 1024);
            assertThat(packed.stream().mapToInt(PackedBatch::documents).sum()).isEqualTo(ROWS);
            assertThat(packed.stream().mapToLong(PackedBatch::targetCount).sum()).isEqualTo(d.targets());
            // first-fit fills sequences: at most 10% more of them than a perfect packing would need
            assertThat(packed.size()).isLessThanOrEqualTo((int) Math.ceil(d.tokens() / 1024.0 * 1.1));
            assertThat(packed.stream().allMatch(b -> b.size() <= 1024)).isTrue();
        }
    }

    @Test
    void qwen3TemplateScoresLabelAndImEnd() throws Exception {
        Path jsonl = toMessagesJsonl(SharedData.require("data/banking77/train.csv"), dir.resolve("b.jsonl"), 20);
        ChatFormat f = TemplatesFixture.format("qwen3");
        TrainingData.Loaded d = TrainingData.load(jsonl, f, new TrainingData.Options(128, TrainingData.Overflow.ERROR));
        for (TokenizedExample e : d.examples()) {
            assertThat(TemplatesFixture.trainedRuns(e, f.tokenizer()).get(0)).startsWith("<think>\n\n</think>\n\n").endsWith("<|im_end|>");
        }
        TrainingData.Split s = TrainingData.split(d.examples(), 0.1, 7);
        assertThat(s.validation()).hasSize(2);
        Path val = toMessagesJsonl(SharedData.require("data/banking77/test.csv"), dir.resolve("val.jsonl"), 5);
        TrainingData.Split p = TrainingData.prepare(jsonl, val, 0.5, 7, f, TrainingData.Options.unlimited());
        assertThat(p.train()).hasSize(20);
        assertThat(p.validation()).hasSize(5).allSatisfy(e -> assertThat(e.source()).startsWith("val.jsonl:"));
    }

    private static int[] trained(TokenizedExample e) {
        return java.util.stream.IntStream.range(0, e.tokens().length).filter(i -> e.target()[i]).map(i -> e.tokens()[i]).toArray();
    }

    private static int lastTarget(TokenizedExample e) {
        for (int i = e.target().length - 1; i >= 0; i--) {
            if (e.target()[i]) {
                return i;
            }
        }
        return -1;
    }
}
