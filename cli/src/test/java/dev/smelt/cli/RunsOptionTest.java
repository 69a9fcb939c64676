package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.SmeltServer;
import dev.smelt.testkit.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --runs DIR} on {@code serve} and {@code route}: a missing folder is a clear error before anything loads; a folder is served at /api/smelt/runs. */
class RunsOptionTest {
    private static String[] run(String... args) {
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
    void aMissingFolderIsRefusedNamingTheOption(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-runs-here");
        String[] r = run("serve", SharedData.model("shakespeare.gguf").toString(), "--port", "0", "--runs", missing.toString());
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--runs " + missing + ": no such folder").doesNotContain("\tat ");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        r = run("route", "--router", dir.resolve("router.yaml").toString(), "--port", "0", "--runs", file.toString());
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[1]).contains("--runs " + file + ": not a folder").doesNotContain("\tat ");
    }

    @Test
    void serveWithRunsListsTheFolder(@TempDir Path dir) throws Exception {
        Path runs = Files.createDirectories(dir.resolve("runs/eval-1"));
        Files.writeString(runs.resolve("result.json"), "{\"task\": \"t\", \"results\": [{\"target\": \"m\", \"accuracy\": 0.5}]}");
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs(SharedData.model("shakespeare.gguf").toString(), "--port", "0", "-t", "1", "--runs", dir.resolve("runs").toString());
        try (SmeltServer server = cmd.build()) {
            int port = server.start();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/smelt/runs"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode run = new ObjectMapper().readTree(r.body()).path("runs").get(0);
            assertThat(run.path("path").asText()).isEqualTo("eval-1");
            assertThat(run.path("summary").asText()).isEqualTo("t: m 0.5000");
        }
    }
}
