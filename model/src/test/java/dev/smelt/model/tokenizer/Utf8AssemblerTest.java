package dev.smelt.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The UTF-8 completeness rule of {@link Utf8Assembler}, on hand-made byte sequences. */
class Utf8AssemblerTest {
    @Test
    void holdsOnlyCompletableTails() {
        byte[] emoji = "a😀".getBytes(StandardCharsets.UTF_8); // 61 F0 9F 98 80
        for (int cut = 1; cut < emoji.length; cut++) {
            byte[] prefix = java.util.Arrays.copyOf(emoji, cut);
            assertThat(Utf8Assembler.completePrefix(prefix)).as("cut %d", cut).isEqualTo(1);
        }
        assertThat(Utf8Assembler.completePrefix(emoji)).isEqualTo(emoji.length);
        // A stray continuation byte or an impossible lead is not held: it decodes to U+FFFD immediately.
        assertThat(Utf8Assembler.completePrefix(new byte[] {'a', (byte) 0x80})).isEqualTo(2);
        assertThat(Utf8Assembler.completePrefix(new byte[] {'a', (byte) 0xFF})).isEqualTo(2);
        assertThat(Utf8Assembler.completePrefix(new byte[] {(byte) 0xE6, (byte) 0x97})).isZero();
    }

    @Test
    void aCharacterSplitAcrossPushesComesOutWholeAndFlushReplacesAnUnfinishedOne() {
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
        Utf8Assembler u = new Utf8Assembler();
        assertThat(u.push(new byte[] {'h', 'i', emoji[0]})).isEqualTo("hi");
        assertThat(u.push(emoji, 1, 2)).isEmpty();
        assertThat(u.pendingBytes()).isEqualTo(3);
        assertThat(u.push(new byte[] {emoji[3], '!'})).isEqualTo("😀!");
        assertThat(u.push(new byte[] {(byte) 0xE6})).isEmpty();
        assertThat(u.flush()).isEqualTo("\uFFFD");
        assertThat(u.pendingBytes()).isZero();
    }
}
