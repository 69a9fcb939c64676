package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChatCommandTest {
    @Test
    void twoTurnsWithTheChatmlFallbackAndGreedyDecoding() {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setIn(new ByteArrayInputStream("Hello\nAnd then?\n/bye\n".getBytes(StandardCharsets.UTF_8)));
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute("chat", SharedData.model("shakespeare.gguf").toString(), "-n", "12", "--temperature", "0");
            assertThat(code).isZero();
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        String[] turns = out.split("> ", -1);
        assertThat(turns).hasSize(4); // prompt before each of the 3 inputs (+ leading empty)
        assertThat(turns[1].strip()).isNotEmpty();
        assertThat(turns[2].strip()).isNotEmpty();
    }
}
