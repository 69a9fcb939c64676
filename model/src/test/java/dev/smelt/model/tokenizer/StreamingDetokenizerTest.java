package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The UTF-8 completeness rule of {@link StreamingDetokenizer}, on hand-made byte sequences. */
class StreamingDetokenizerTest {
    @Test
    void holdsOnlyCompletableTails() {
        byte[] emoji = "a😀".getBytes(StandardCharsets.UTF_8); // 61 F0 9F 98 80
        for (int cut = 1; cut < emoji.length; cut++) {
            byte[] prefix = java.util.Arrays.copyOf(emoji, cut);
            assertThat(StreamingDetokenizer.completePrefix(prefix)).as("cut %d", cut).isEqualTo(1);
        }
        assertThat(StreamingDetokenizer.completePrefix(emoji)).isEqualTo(emoji.length);
        // A stray continuation byte or an impossible lead is not held: it decodes to U+FFFD immediately.
        assertThat(StreamingDetokenizer.completePrefix(new byte[] {'a', (byte) 0x80})).isEqualTo(2);
        assertThat(StreamingDetokenizer.completePrefix(new byte[] {'a', (byte) 0xFF})).isEqualTo(2);
        assertThat(StreamingDetokenizer.completePrefix(new byte[] {(byte) 0xE6, (byte) 0x97})).isZero();
    }
}
