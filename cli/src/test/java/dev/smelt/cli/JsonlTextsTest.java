package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class JsonlTextsTest {
    @Test
    void returnsTheGoodLinesOfABatchBeforeFailingOnTheBadOne() throws IOException {
        JsonlTexts t = new JsonlTexts(new BufferedReader(new StringReader("{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n{oops\n{\"text\":\"c\"}\n")), "stdin");
        assertThat(t.next(10)).containsExactly("a", "b");
        assertThatThrownBy(() -> t.next(10)).isInstanceOf(IOException.class).hasMessageContaining("stdin line 4: not valid JSON");
    }

    @Test
    void aBadFirstLineFailsAtOnce() {
        JsonlTexts t = new JsonlTexts(new BufferedReader(new StringReader("[1]\n")), "stdin");
        assertThatThrownBy(() -> t.next(10)).hasMessageContaining("stdin line 1: expected a JSON object");
    }

    @Test
    void anEmptyTextIsAnErrorNamingTheLine() {
        JsonlTexts t = new JsonlTexts(new BufferedReader(new StringReader("{\"text\":\"\"}\n")), "stdin");
        assertThatThrownBy(() -> t.next(10)).hasMessageContaining("stdin line 1: field 'text' is an empty string");
    }
}
