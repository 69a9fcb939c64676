package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatInputTest {
    static final String TYPED = String.join("\n", "hello", "first \\", "second", "\"\"\"", "a block", "  indented", "\"\"\"",
            "\"\"\"one line\"\"\"", "don't stop!", "");
    static final List<String> TURNS = List.of("hello", "first \nsecond", "a block\n  indented", "one line", "don't stop!");

    static List<String> readAll(ChatInput in) throws Exception {
        try (in) {
            List<String> out = new ArrayList<>();
            for (String s = in.read(); s != null; s = in.read()) {
                out.add(s);
            }
            return out;
        }
    }

    @Test
    void multilineFormsAreJoined() {
        assertThat(ChatMultiline.needsMore("ends with \\")).isTrue();
        assertThat(ChatMultiline.needsMore("\"\"\"")).isTrue();
        assertThat(ChatMultiline.needsMore("\"\"\"\nopen")).isTrue();
        assertThat(ChatMultiline.needsMore("\"\"\"\nclosed\"\"\"")).isFalse();
        assertThat(ChatMultiline.needsMore("a \"\"\" in the middle")).isFalse();
        assertThat(ChatMultiline.text("a\\\nb")).isEqualTo("a\nb");
        assertThat(ChatMultiline.text("\"\"\"\nx\ny\n\"\"\"")).isEqualTo("x\ny");
    }

    @Test
    void pipedInputGivesOneTurnPerLineOrBlock() throws Exception {
        assertThat(readAll(ChatInput.plain(new BufferedReader(new StringReader(TYPED))))).isEqualTo(TURNS);
    }

    @Test
    void anUnterminatedBlockAtEndOfInputIsStillATurn() throws Exception {
        assertThat(readAll(ChatInput.plain(new BufferedReader(new StringReader("\"\"\"\nhalf"))))).containsExactly("\"\"\"\nhalf");
    }

    @Test
    void theTerminalReaderReadsTheSameTurnsAndKeepsHistoryAcrossRuns(@TempDir Path dir) throws Exception {
        Path history = dir.resolve("home/chat_history");
        assertThat(readAll(terminalInput(TYPED, history))).isEqualTo(TURNS);
        assertThat(Files.readString(history)).contains("hello").contains("don't stop!");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(history))).isEqualTo("rw-------");
        // a second run: Up arrow twice brings back the turn before last, Enter sends it
        String up = "\033OA"; // xterm's key_up in keypad-transmit mode, which JLine switches on
        List<String> again = readAll(terminalInput(up + up + "\r", history));
        assertThat(again).containsExactly("one line");
    }

    private static ChatInput terminalInput(String typed, Path history) throws Exception {
        Terminal t = TerminalBuilder.builder().system(false).type("xterm")
                .streams(new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)), new ByteArrayOutputStream()).build();
        return new ChatTerminalInput(t, history);
    }
}
