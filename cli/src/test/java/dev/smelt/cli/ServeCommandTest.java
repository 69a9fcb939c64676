package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.testkit.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** `smelt serve` refuses bad options before binding anything: non-zero exit, a message, no stack trace. */
class ServeCommandTest {
    private static String[] fail(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute(args);
        } finally {
            System.setErr(old);
        }
        return new String[] {Integer.toString(code), buf.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void badKeepAliveAliasAndHostAreClearErrors() {
        String model = SharedData.model("shakespeare-Q4_0.gguf").toString();
        String[] r = fail("serve", model, "--port", "0", "--keep-alive", "soon");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--keep-alive").contains("soon").doesNotContain("\tat ");
        r = fail("serve", model, "--port", "0", "--alias", "gpt=nope");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--alias").contains("gpt=nope").doesNotContain("\tat ");
        r = fail("serve", model, "--host", "0.0.0.0", "--port", "0");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("API key").doesNotContain("\tat ");
    }
}
