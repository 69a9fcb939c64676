package dev.smelt.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonLinesTest {
    @Test
    void blankLinesAreSkippedAndNumbersAreTheFileLines() throws IOException {
        List<JsonLines.Line> lines = JsonLines.parse("d.jsonl", "{\"a\":1}\r\n\n  \n[2]\r\n");

        assertThat(lines).extracting(JsonLines.Line::number).containsExactly(1, 4);
        assertThat(lines.get(0).node().path("a").asInt()).isEqualTo(1);
        assertThat(lines.get(1).node().isArray()).isTrue();
    }

    @Test
    void aBadLineIsNamedByFileAndLine() {
        assertThatThrownBy(() -> JsonLines.parse("d.jsonl", "{\"a\":1}\n\n{\"a\": \n"))
                .isInstanceOf(IOException.class).hasMessageStartingWith("d.jsonl:3: not valid JSON");
    }
}
