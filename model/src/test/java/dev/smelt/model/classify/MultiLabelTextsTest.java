package dev.smelt.model.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Multi-label data: JSONL arrays and separated CSV cells, empty sets, and errors naming file, line and field; the scores; the head. */
class MultiLabelTextsTest {
    private static final double EXACT = 1e-12;

    @Test
    void readsJsonlArraysStringsAndEmptySets(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, """
                {"text": "new pin please", "label": ["pin", "new", "pin"]}
                {"text": "hello", "label": []}

                {"text": "card late", "label": "card|late"}
                {"text": "plain", "label": "card"}
                """);
        MultiLabelTexts d = MultiLabelTexts.read(f, "text", "label", "|");
        assertThat(d.texts()).containsExactly("new pin please", "hello", "card late", "plain");
        assertThat(d.labels()).containsExactly(List.of("pin", "new"), List.of(), List.of("card", "late"), List.of("card"));
        assertThat(d.multiple()).isTrue();
        assertThat(d.labelNames()).containsExactly("card", "late", "new", "pin");
    }

    @Test
    void readsCsvCellsSplitOnTheSeparator(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("d.csv");
        Files.writeString(f, "text,intents\n\"a, b\", pin ; new \nnothing,\none,card\n");
        MultiLabelTexts d = MultiLabelTexts.read(f, "text", "intents", ";");
        assertThat(d.labels()).containsExactly(List.of("pin", "new"), List.of(), List.of("card"));
        assertThat(d.multiple()).isTrue();
        MultiLabelTexts single = MultiLabelTexts.read(f, "text", "intents", "|");
        assertThat(single.multiple()).as("no cell holds '|'").isFalse();
        assertThat(d.detectedAt()).isEqualTo(f + " record 2: column 'intents' holds the separator ';'");
    }

    @Test
    void badLabelsAreErrorsNamingFileLineAndField(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"text\": \"a\", \"label\": [\"x\"]}\n{\"text\": \"b\", \"label\": [\"x\", 3]}\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(f, "text", "label", "|"))
                .hasMessageContaining("bad.jsonl line 2: field 'label' element 2 is number, expected a string");
        Files.writeString(f, "{\"text\": \"a\", \"label\": [\"x\"]}\n{\"text\": \"b\"}\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(f, "text", "label", "|")).hasMessageContaining("bad.jsonl line 2: field 'label' is missing");
        Files.writeString(f, "{\"text\": \"a\", \"label\": {\"x\": 1}}\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(f, "text", "label", "|")).hasMessageContaining("line 1: field 'label' is an object");
        Files.writeString(f, "{\"text\": \"a\", \"label\": \"x||y\"}\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(f, "text", "label", "|")).hasMessageContaining("line 1: field 'label': label 2 of 3 is empty");
        Files.writeString(f, "{\"text\": \"a\", \"label\": [\"x\", \" \"]}\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(f, "text", "label", "|")).hasMessageContaining("label 2 of 2 is empty");
        Files.writeString(f, "{\"text\": \"a\", \"label\": [\"x\"]}\n{\"text\": \"b\", \"label\": 3}\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(f, "text", "label", "|"))
                .hasMessageContaining("bad.jsonl line 2: field 'label' is a number, expected a string or an array of strings")
                .hasMessageContaining("line 1: field 'label' is a JSON array");
        Files.writeString(f, "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 0}\n");
        MultiLabelTexts numeric = MultiLabelTexts.read(f, "text", "label", "|");
        assertThat(numeric.multiple()).as("numeric classes of single-label data stay fine").isFalse();
        assertThat(numeric.detectedAt()).isNull();
        Files.writeString(f, "{\"text\": \"a\", \"intents\": [\"x\"]}\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(f, "text", "label", "|"))
                .hasMessageContaining("line 1: field 'label' is missing (fields: text, intents; --label-column names the label field");
        Path array = dir.resolve("fold0.json");
        Files.writeString(array, "[\n  {\n    \"text\": \"a\",\n    \"intents\": [\"x\"]\n  }\n]\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(array, "text", "intents", "|"))
                .hasMessageContaining("fold0.json line 1: the file is a JSON array, not JSONL").hasMessageContaining("jq -c '.[]' fold0.json");
        Files.writeString(array, "[{\"text\": \"a\", \"intents\": [\"x\"]}]\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(array, "text", "intents", "|")).hasMessageContaining("the file is a JSON array, not JSONL");
        assertThatThrownBy(() -> LabeledTexts.read(array, "text", "intents")).hasMessageContaining("the file is a JSON array, not JSONL");
        Path c = dir.resolve("bad.csv");
        Files.writeString(c, "text,label\nok,a|b\nbad,a|\n");
        assertThatThrownBy(() -> MultiLabelTexts.read(c, "text", "label", "|")).hasMessageContaining("bad.csv record 3: column 'label': label 2 of 2 is empty");
        assertThatThrownBy(() -> MultiLabelTexts.read(c, "text", "label", "a")).hasMessageContaining("--label-separator");
        assertThatThrownBy(() -> MultiLabelTexts.read(c, "text", "label", " ")).hasMessageContaining("--label-separator");
        assertThatThrownBy(() -> MultiLabelTexts.read(c, "text", "label", "")).hasMessageContaining("--label-separator");
    }

    @Test
    void scoresAsScikitLearn() {
        // gold {a,b} {a} {} {c}; predicted {a} {a,b} {} {}: tp a 2; fp b 1; fn b 1, c 1
        List<Set<String>> gold = List.of(Set.of("a", "b"), Set.of("a"), Set.of(), Set.of("c"));
        List<Set<String>> got = List.of(Set.of("a"), Set.of("a", "b"), Set.of(), Set.of());
        MultiLabelScore s = MultiLabelScore.of(gold, got);
        assertThat(s.microF1()).isCloseTo(2.0 * 2 / (2 * 2 + 1 + 2), offset(EXACT));
        assertThat(s.microPrecision()).isCloseTo(2.0 / 3, offset(EXACT));
        assertThat(s.microRecall()).isCloseTo(2.0 / 4, offset(EXACT));
        // per label F1: a 1, b 0 (tp 0), c 0
        assertThat(s.macroF1()).isCloseTo(1.0 / 3, offset(EXACT));
        assertThat(s.exactMatch()).isCloseTo(0.25, offset(EXACT)); // only the empty row
        assertThat(s.perLabel()).extracting(MultiLabelScore.LabelStats::label).containsExactly("a", "b", "c");
        assertThat(s.perLabel().get(0).support()).isEqualTo(2);
        ObjectNode m = new ObjectMapper().createObjectNode();
        s.write(m, "test_");
        assertThat(m.path("test_per_label").get(2).path("support").asInt()).isEqualTo(1);
    }

    @Test
    void sigmoidHeadGivesIndependentProbabilitiesAndSurvivesSaveAndLoad(@TempDir Path dir) throws IOException {
        // two labels that both fire on the first coordinate: softmax would split them, sigmoids keep both high
        float[] w = {4, 0, 4, 0, -4, 1};
        SoftmaxClassifier h = new SoftmaxClassifier("enc", List.of("a", "b", "c"), w, new float[] {0, 0, 0}, 1.0, 0.5, null, true);
        double[] p = h.probabilities(new float[] {1, 0});
        assertThat(p[0]).isCloseTo(1 / (1 + Math.exp(-4)), offset(1e-9));
        assertThat(p[1]).isCloseTo(p[0], offset(EXACT));
        assertThat(p[0] + p[1] + p[2]).as("independent sigmoids do not sum to 1").isGreaterThan(1.5);
        assertThat(h.answered(p)).containsExactly(0, 1);
        assertThat(h.predict(new float[] {1, 0}).label()).isEqualTo("a");
        assertThat(h.predict(new float[] {-1, -6}).label()).as("no label reaches 0.5").isEqualTo(SoftmaxClassifier.NONE);
        h.save(dir);
        SoftmaxClassifier back = SoftmaxClassifier.load(dir);
        assertThat(back.multiLabel()).isTrue();
        assertThat(Files.readString(dir.resolve("classifier.json"))).contains("smelt-sigmoid-head/1");
        for (float[] e : new float[][] {{1, 0}, {0.3f, -0.7f}, {-2, 5}}) {
            assertThat(back.probabilities(e)).containsExactly(h.probabilities(e));
        }
        SoftmaxClassifier single = new SoftmaxClassifier("enc", List.of("a", "b", "c"), w, new float[] {0, 0, 0}, 1.0, 0, null);
        double[] q = single.probabilities(new float[] {1, 0});
        assertThat(q[0] + q[1] + q[2]).isCloseTo(1, offset(1e-12));
        single.save(dir);
        assertThat(SoftmaxClassifier.load(dir).multiLabel()).isFalse();
    }
}
