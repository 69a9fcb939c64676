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

    @Test
    void badAdapterFileFailsAtStartupNamingTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String model = SharedData.model("shakespeare.gguf").toString();
        java.nio.file.Path bad = dir.resolve("adapter.gguf");
        java.nio.file.Files.writeString(bad, "not a gguf file");
        String[] r = fail("serve", model, "--port", "0", "--adapter", "legal=" + bad);
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("legal").contains(bad.toString()).doesNotContain("\tat ");
        r = fail("serve", model, "--port", "0", "--adapter", "legal=" + dir.resolve("missing"));
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--adapter legal").contains("missing").doesNotContain("\tat ");
        r = fail("serve", model, "--port", "0", "--adapter", "nobase+x=" + bad);
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("nobase").doesNotContain("\tat ");
    }

    @Test
    void aNameThatWouldMeanTwoModelsIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String model = SharedData.model("shakespeare-Q4_0.gguf").toString();
        java.nio.file.Path clf = dir.resolve("intents");
        java.nio.file.Files.createDirectories(clf);
        java.nio.file.Files.writeString(clf.resolve("classifier.json"), "{}");
        String[] r = fail("serve", model, "shakespeare-Q4_0=" + clf, "--port", "0");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("'shakespeare-Q4_0'").contains("chat model").contains("classifier").doesNotContain("\tat ");
        r = fail("serve", model, "default=" + clf, "--port", "0");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("'default'").contains("classifier").doesNotContain("\tat ");
        r = fail("serve", model, "all-minilm-l6-v2=" + clf, "all-minilm-l6-v2", "--port", "0");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("'all-minilm-l6-v2'").contains("embedding model").doesNotContain("\tat ");
    }

    /** #12: a blank key from any source is refused at startup, before anything listens. */
    @Test
    void blankApiKeysAreRefusedAtStartup(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String model = SharedData.model("shakespeare-Q4_0.gguf").toString();
        String[] r = fail("serve", model, "--host", "0.0.0.0", "--port", "0", "--api-key", "");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--api-key").contains("blank").doesNotContain("\tat ");
        java.nio.file.Path keys = dir.resolve("keys");
        java.nio.file.Files.writeString(keys, "\n  \n");
        r = fail("serve", model, "--host", "0.0.0.0", "--port", "0", "--api-key-file", keys.toString());
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--api-key-file").contains("no key").doesNotContain("\tat ");
        r = fail("route", "--router", dir.resolve("router.yaml").toString(), "--host", "0.0.0.0", "--api-key", " ");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--api-key").contains("blank").doesNotContain("\tat ");
        r = fail("serve", model, "--port", "0", "--allowed-host", "");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--allowed-host").doesNotContain("\tat ");
    }

    @Test
    void ollamaMeansOllamasPortUnlessAPortIsGiven() {
        ServeCommand c = new ServeCommand();
        new picocli.CommandLine(c).parseArgs("m.gguf", "--ollama");
        assertThat(dev.smelt.server.ServerConfig.port(c.port, c.ollama)).isEqualTo(11434);
        c = new ServeCommand();
        new picocli.CommandLine(c).parseArgs("m.gguf", "--ollama", "--port", "9000");
        assertThat(dev.smelt.server.ServerConfig.port(c.port, c.ollama)).isEqualTo(9000);
        c = new ServeCommand();
        new picocli.CommandLine(c).parseArgs("m.gguf");
        assertThat(dev.smelt.server.ServerConfig.port(c.port, c.ollama)).isEqualTo(8080);
    }

    @Test
    void anUnknownModelNameListsTheBuiltInEmbedders() {
        String[] r = fail("serve", "all-minilm-l6-v3", "--port", "0");
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("all-minilm-l6-v3").contains("all-minilm-l6-v2").contains("bge-small-en-v1.5").doesNotContain("\tat ");
    }

    /** #13: a port in use is smelt's one line, without Javalin's ERROR line or a stack trace. */
    @Test
    void aPortInUseIsOneLine() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            String model = SharedData.model("shakespeare-Q4_0.gguf").toString();
            String[] r = fail("serve", model, "--port", Integer.toString(taken.getLocalPort()));
            assertThat(r[0]).isNotEqualTo("0");
            assertThat(r[1]).contains("127.0.0.1:" + taken.getLocalPort()).contains("--port").doesNotContain("ERROR").doesNotContain("Javalin")
                    .doesNotContain("\tat ");
            assertThat(r[1].strip().lines().count()).isEqualTo(1);
        }
    }
}
