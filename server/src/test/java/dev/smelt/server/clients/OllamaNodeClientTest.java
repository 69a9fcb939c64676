package dev.smelt.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.encoder.Embedders;
import dev.smelt.server.EmbeddingModels;
import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import dev.smelt.testkit.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The official {@code ollama} npm package (src/test/node-ollama/client.mjs) against the real server, serving a
 * chat model and an embedder. Skipped with a message when Node/npm are missing or the package cannot be
 * installed offline from the npm cache (tests never need the network).
 */
class OllamaNodeClientTest {
    private static final long NPM_TIMEOUT_SECONDS = 120;
    private static final long CLIENT_TIMEOUT_SECONDS = 300;

    @Test
    void officialOllamaNodeClientPassesItsChecks() throws Exception {
        Path model = SharedData.model("shakespeare.gguf");
        Path dir = Path.of("target", "node-ollama-client");
        Files.createDirectories(dir);
        for (String f : List.of("package.json", "client.mjs")) {
            Files.copy(Path.of("src", "test", "node-ollama", f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(dir.resolve("node_modules/ollama"))) {
            Run npm = run(dir, NPM_TIMEOUT_SECONDS, "npm", "install", "--offline", "--no-audit", "--no-fund");
            Assumptions.assumeTrue(npm.code == 0, () -> "skipped: the ollama npm package cannot be installed offline (" + npm.output.lines()
                    .reduce((a, b) -> b).orElse("npm not found") + "); run `npm install` in server/src/test/node-ollama once with network");
        }
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 1536, 8, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of(),
                new GgufModelLoader(Map.of("shakespeare", model), cfg), cfg.keepAlive());
        EmbeddingModels emb = new EmbeddingModels(List.of("all-minilm-l6-v2"), name -> Embedders.open(name, 2));
        try (SmeltServer server = new SmeltServer(cfg, reg, emb, Clock.systemUTC())) {
            int port = server.start();
            Run client = run(dir, CLIENT_TIMEOUT_SECONDS, "node", "client.mjs", "http://127.0.0.1:" + port, "shakespeare", "all-minilm-l6-v2");
            assertThat(client.code).as(client.output).isZero();
            assertThat(client.output).contains("all checks passed");
        }
    }

    private record Run(int code, String output) {
    }

    private static Run run(Path dir, long timeoutSeconds, String... cmd) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Run(-1, cmd[0] + " timed out after " + timeoutSeconds + " s");
            }
            return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Run(-1, cmd[0] + " not available: " + e.getMessage());
        }
    }
}
