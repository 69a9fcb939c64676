package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.http.ApiException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OllamaDurationsTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void goDurationsAndSeconds() throws Exception {
        assertThat(OllamaDurations.parse("5m", "k")).isEqualTo(Duration.ofMinutes(5));
        assertThat(OllamaDurations.parse("1h30m", "k")).isEqualTo(Duration.ofMinutes(90));
        assertThat(OllamaDurations.parse("1.5s", "k")).isEqualTo(Duration.ofMillis(1500));
        assertThat(OllamaDurations.parse("250ms", "k")).isEqualTo(Duration.ofMillis(250));
        assertThat(OllamaDurations.parse("-1", "k")).isNegative();
        assertThat(OllamaDurations.parse("-1m", "k")).isEqualTo(Duration.ofMinutes(-1));
        assertThat(OllamaDurations.parse("0", "k")).isZero();
        assertThat(OllamaDurations.parse(M.readTree("300"), "k")).isEqualTo(Duration.ofMinutes(5));
        assertThat(OllamaDurations.parse(M.readTree("-1"), "k")).isNegative();
    }

    @Test
    void badDurationsNameTheFieldAndValue() throws Exception {
        for (String bad : new String[] {"", "soon", "5 m", "5mx", "m5", "1d"}) {
            assertThatThrownBy(() -> OllamaDurations.parse(bad, "keep_alive")).as(bad).isInstanceOf(ApiException.class)
                    .hasMessageContaining("keep_alive").hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> OllamaDurations.parse(M.readTree("true"), "keep_alive")).hasMessageContaining("true");
        assertThatThrownBy(() -> OllamaDurations.parseOption("forever", "--keep-alive")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--keep-alive").hasMessageContaining("forever");
    }

    /** Jazzer finding (ollamaGenerate): a 2,000-character keep_alive was echoed whole into the 400's message. */
    @Test
    void longBadDurationsAreCutInTheMessage() throws Exception {
        String longBad = "5s5m7m".repeat(400) + "x";
        for (Runnable parse : new Runnable[] {() -> OllamaDurations.parse(longBad, "keep_alive"),
                () -> OllamaDurations.parseOption(longBad, "--keep-alive"),
                () -> OllamaDurations.parse(M.valueToTree(java.util.Map.of("k", longBad)), "keep_alive")}) {
            assertThatThrownBy(parse::run).hasMessageContaining("keep").hasMessageContaining(" characters)")
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(500));
        }
    }
}
