package dev.smelt.model.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {
    private static final List<String> COMMANDS = List.of("run", "info", "bench", "serve", "chat", "classify", "classify-train", "quantize");

    @Test
    void aSwapOfNeighbouringLettersIsOneEdit() {
        assertThat(Suggestions.distance("rnu", "run")).isEqualTo(1);
        assertThat(Suggestions.nearest("rnu", COMMANDS)).containsExactly("run");
        assertThat(Suggestions.nearest("chta", COMMANDS)).containsExactly("chat");
    }

    @Test
    void longerWordsAllowTwoEditsAndCaseIsIgnored() {
        assertThat(Suggestions.nearest("Quantise", COMMANDS)).containsExactly("quantize");
        assertThat(Suggestions.nearest("srvee", COMMANDS)).containsExactly("serve");
    }

    @Test
    void aPrefixSuggestsEveryCommandItStartsWhenNothingIsClose() {
        assertThat(Suggestions.nearest("clas", COMMANDS)).containsExactly("classify", "classify-train");
    }

    @Test
    void farWordsGetNoSuggestion() {
        assertThat(Suggestions.nearest("xyzzy", COMMANDS)).isEmpty();
        assertThat(Suggestions.nearest("q", COMMANDS)).containsExactly("quantize");
    }
}
