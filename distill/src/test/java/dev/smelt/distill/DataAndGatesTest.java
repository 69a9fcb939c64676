package dev.smelt.distill;

import dev.smelt.task.DataFile;
import dev.smelt.task.Prompts;
import dev.smelt.task.SchemaCheck;
import dev.smelt.task.TaskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataAndGatesTest {
    @TempDir
    Path dir;

    @Test
    void csvHandlesQuotesEscapesAndNewlinesInsideFields() throws Exception {
        Path f = dir.resolve("d.csv");
        Files.writeString(f, "text,category\r\n\"hello, world\",greet\n\"say \"\"hi\"\"\nplease\",ask\nplain,x\n");
        List<DataFile.Row> rows = DataFile.read(f, "text", "category", true);
        assertThat(rows).containsExactly(new DataFile.Row(2, "hello, world", "greet"), new DataFile.Row(3, "say \"hi\"\nplease", "ask"),
                new DataFile.Row(5, "plain", "x"));
    }

    @Test
    void badDataNamesFileLineAndField() throws Exception {
        Path csv = dir.resolve("a.csv");
        Files.writeString(csv, "text,label\n\"open,x\n");
        assertThatThrownBy(() -> DataFile.read(csv, "text", "label", true)).hasMessageContaining("a.csv:2: unterminated quoted field");
        Files.writeString(csv, "text,label\na,b,c\n");
        assertThatThrownBy(() -> DataFile.read(csv, "text", "label", true)).hasMessageContaining("a.csv:2: 3 fields, the header has 2");
        assertThatThrownBy(() -> DataFile.read(csv, "input", "label", true)).hasMessageContaining("a.csv:1: no column 'input'");
        Path jl = dir.resolve("b.jsonl");
        Files.writeString(jl, "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\"}\n");
        assertThatThrownBy(() -> DataFile.read(jl, "text", "label", true)).hasMessageContaining("b.jsonl:2: missing field 'label'");
        assertThat(DataFile.read(jl, "text", "label", false)).extracting(DataFile.Row::label).containsExactly("x", null);
        Files.writeString(jl, "{\"text\":\"a\"}\n{oops\n");
        assertThatThrownBy(() -> DataFile.read(jl, "text", null, false)).hasMessageContaining("b.jsonl:2: not valid JSON");
        assertThatThrownBy(() -> DataFile.read(dir.resolve("c.txt"), "text", null, false)).hasMessageContaining("c.txt");
    }

    @Test
    void taskSpecErrorsNameTheField() throws Exception {
        Path t = dir.resolve("t.yaml");
        Files.writeString(t, "name: x\ninstructions: do it\nlabels: [a, b]\nlable_field: y\n");
        assertThatThrownBy(() -> TaskSpec.load(t)).hasMessageContaining("unknown field 'lable_field'");
        Files.writeString(t, "name: x\nlabels: [a]\n");
        assertThatThrownBy(() -> TaskSpec.load(t)).hasMessageContaining("missing required field 'instructions'");
        Files.writeString(t, "name: x\ninstructions: i\nlabels: [a, a]\n");
        assertThatThrownBy(() -> TaskSpec.load(t)).hasMessageContaining("label 'a' is listed twice");
        Files.writeString(t, "name: x\ninstructions: i\nmax_tokens: -3\n");
        assertThatThrownBy(() -> TaskSpec.load(t)).hasMessageContaining("'max_tokens' must be an integer >= 1, got -3");
        Files.writeString(t, "name: x\ninstructions: [unclosed\n");
        assertThatThrownBy(() -> TaskSpec.load(t)).hasMessageContaining("t.yaml:").hasMessageContaining("cannot parse the task");
        Files.writeString(t, "name: x\ninstructions: Classify.\nlabels: [pos, neg]\nexamples:\n  - {input: great, output: pos}\n");
        TaskSpec s = TaskSpec.load(t);
        assertThat(s.metric()).isEqualTo("label");
        assertThat(Prompts.messages(s, "meh")).extracting(m -> m.get("role")).containsExactly("system", "user", "assistant", "user");
        assertThat(Prompts.system(s)).isEqualTo("Classify.\n\nAnswer with exactly one label from this list, and nothing else:\npos\nneg");
    }

    @Test
    void labelsMatchLeniently() {
        List<String> labels = List.of("card_arrival", "Refund");
        assertThat(Prompts.matchLabel("card_arrival", labels)).contains("card_arrival");
        assertThat(Prompts.matchLabel("  \"Card_Arrival\".", labels)).contains("card_arrival");
        assertThat(Prompts.matchLabel("Label: `refund`\nbecause...", labels)).contains("Refund");
        assertThat(Prompts.matchLabel("card arrival", labels)).isEmpty();
    }

    @Test
    void schemaCheckReportsEveryViolationWithItsPointer() {
        var schema = Prompts.extractJson("{\"type\":\"object\",\"required\":[\"name\",\"age\"],\"additionalProperties\":false,"
                + "\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":2},\"age\":{\"type\":\"integer\",\"minimum\":0},"
                + "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]}}}}").orElseThrow();
        assertThat(SchemaCheck.validate(schema, Prompts.extractJson("{\"name\":\"Al\",\"age\":3,\"tags\":[\"a\"]}").orElseThrow())).isEmpty();
        assertThat(SchemaCheck.validate(schema, Prompts.extractJson("```json\n{\"name\":\"A\",\"tags\":[\"c\"],\"x\":1}\n```").orElseThrow()))
                .containsExactlyInAnyOrder("/: missing required field 'age'", "/name: shorter than minLength 2", "/tags/0: \"c\" is not one of [\"a\",\"b\"]",
                        "/: field 'x' is not allowed");
        assertThat(SchemaCheck.validate(schema, Prompts.extractJson("{\"name\":\"Al\",\"age\":-1.5}").orElseThrow()))
                .containsExactly("/age: expected integer, got number");
        assertThat(Prompts.extractJson("{\"a\":1} trailing")).isEmpty();
        assertThat(Prompts.extractJson("not json")).isEmpty();
    }

    @Test
    void nearDuplicatesUseExactShingleJaccard() {
        // "abcdefg" 5-grams {abcde, bcdef, cdefg}; "abcdefh" {abcde, bcdef, cdefh}: Jaccard 2/4
        assertThat(NearDuplicates.similarity("abcdefg", "abcdefh")).isEqualTo(0.5);
        assertThat(NearDuplicates.similarity("ABCDEFG  ", "abcdefg")).isEqualTo(1.0);
        NearDuplicates d = new NearDuplicates(0.7);
        d.add(1, "How do I activate my new card?");
        assertThat(d.find("how do i  activate my new card?")).isEqualTo(new NearDuplicates.Match(1, 1.0));
        NearDuplicates.Match m = d.find("How do I activate my new card??");
        assertThat(m).isNotNull();
        assertThat(m.similarity()).isEqualTo(NearDuplicates.similarity("How do I activate my new card?", "How do I activate my new card??"));
        assertThat(d.find("Where is my refund for the shoes?")).isNull();
        NearDuplicates off = new NearDuplicates(0);
        off.add(1, "same text");
        assertThat(off.find("same text")).isNotNull();
        assertThat(off.find("same text!")).isNull();
    }
}
