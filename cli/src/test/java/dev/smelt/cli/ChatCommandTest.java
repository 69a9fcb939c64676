package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatCommandTest {
    record Run(int code, String out, String err) {
    }

    static Run chat(String stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 2];
            all[0] = "chat";
            all[1] = SharedData.model("shakespeare.gguf").toString();
            System.arraycopy(args, 0, all, 2, args.length);
            return new Run(Main.execute(all), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void pipedTurnsAndCommandsWithTheChatmlFallback() {
        Run r = chat("Hello\n/set num_predict 3\nAnd then?\n/bye\nnever read\n", "-n", "12", "--temperature", "0");
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("loading shakespeare.gguf (").contains("done in")
                .contains("chat template: ChatML (fallback: the model has no tokenizer.chat_template)");
        String[] parts = r.out().split("set num_predict to 3\n", -1);
        assertThat(parts).hasSize(2);
        assertThat(parts[0].strip()).as("first reply").isNotEmpty();
        assertThat(parts[1].strip()).as("second reply").isNotEmpty();
        assertThat(r.out()).doesNotContain(">>> ");
    }

    @Test
    void greedyRepliesAreTheSameWhetherTypedOnOneLineOrAsABlock() {
        Run one = chat("To be or not\n", "-n", "8", "--temperature", "0");
        Run block = chat("\"\"\"\nTo be or not\n\"\"\"\n", "-n", "8", "--temperature", "0");
        assertThat(block.out()).isEqualTo(one.out()).isNotBlank();
    }

    @Test
    void theHistoryFileLivesInSmeltHome() {
        assertThat(ChatCommand.historyFile(Map.of("SMELT_HOME", "/tmp/sh"))).isEqualTo(Path.of("/tmp/sh/chat_history"));
        assertThat(ChatCommand.historyFile(Map.of())).isEqualTo(Path.of(System.getProperty("user.home"), ".smelt", "chat_history"));
    }
}
