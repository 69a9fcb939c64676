package dev.smelt.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The shared HTTP rules (#12 security items): blank keys, constant-time keys, content types, Host, UTF-8. */
class HttpRulesTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static SmeltServer server;
    private static int port;

    @BeforeAll
    static void start() {
        // no models: requests that pass the rules end in a 404 for the unknown model, which is all these tests need
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of("sk-rules"), false, List.of(), 1, 1, 64, 1,
                Duration.ofMinutes(5), false, List.of("smelt.example", ".corp.example"));
        server = new SmeltServer(cfg, new ModelRegistry(List.of(), Map.of(), n -> null, cfg.keepAlive()), Clock.systemUTC());
        port = server.start();
    }

    @AfterAll
    static void stop() {
        server.close(Duration.ZERO);
    }

    private static RawHttp.Response post(Map<String, String> headers, String body) throws Exception {
        return RawHttp.post(port, "/v1/chat/completions", headers, body);
    }

    private static final String BODY = "{\"model\":\"none\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void blankKeysAreRefusedFromEverySource(@TempDir Path dir) throws Exception {
        for (String blank : List.of("", "  ", "\t")) {
            assertThatThrownBy(() -> new ServerConfig("0.0.0.0", 0, List.of(blank), false, List.of(), 1, 1, 64, 1,
                    Duration.ofMinutes(5), false).validate()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
            assertThatThrownBy(() -> ApiKeys.resolve(List.of(blank), Map.of(), null)).hasMessageContaining("--api-key");
            assertThatThrownBy(() -> ApiKeys.resolve(List.of(), Map.of(ApiKeys.ENV, blank), null)).hasMessageContaining(ApiKeys.ENV);
        }
        Path file = dir.resolve("keys");
        Files.writeString(file, "# none yet\n\n   \n");
        assertThatThrownBy(() -> ApiKeys.resolve(List.of(), Map.of(), file)).hasMessageContaining("--api-key-file").hasMessageContaining("no key");
        Files.writeString(file, "# ops key\nsk-file\n");
        ApiKeys keys = ApiKeys.resolve(List.of("sk-flag"), Map.of(ApiKeys.ENV, "sk-env"), file);
        assertThat(keys.matches("sk-flag")).isTrue();
        assertThat(keys.matches("sk-env")).isTrue();
        assertThat(keys.matches("sk-file")).isTrue();
        assertThat(keys.matches("")).isFalse();
        assertThat(keys.matches("sk-fla")).isFalse();
        assertThat(keys.matches("sk-flagg")).isFalse();
        assertThat(keys.matches(null)).isFalse();
    }

    @Test
    void anEmptyKeyHeaderIsNotAKey() throws Exception {
        RawHttp.Response r = post(Map.of("Content-Type", "application/json", "x-api-key", ""), BODY);
        assertThat(r.status()).isEqualTo(401);
        r = post(Map.of("Content-Type", "application/json", "Authorization", "Bearer "), BODY);
        assertThat(r.status()).isEqualTo(401);
        r = post(Map.of("Content-Type", "application/json", "Authorization", "Bearer sk-rules"), BODY);
        assertThat(r.status()).as(r.body()).isEqualTo(404); // past the rules: the model does not exist
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/xml"})
    void postsThatAreNotJsonAre415(String type) throws Exception {
        RawHttp.Response r = post(Map.of("Content-Type", type, "Authorization", "Bearer sk-rules"), BODY);
        assertThat(r.status()).as(r.body()).isEqualTo(415);
        JsonNode e = M.readTree(r.body()).path("error");
        assertThat(e.path("code").asText()).isEqualTo("unsupported_media_type");
        assertThat(e.path("message").asText()).contains("application/json");
        // Ollama's paths answer in Ollama's shape
        r = RawHttp.post(port, "/api/chat", Map.of("Content-Type", type, "Authorization", "Bearer sk-rules"), BODY);
        assertThat(r.status()).isEqualTo(415);
        assertThat(M.readTree(r.body()).path("error").isTextual()).isTrue();
    }

    @Test
    void aBodyWithoutContentTypeIsAcceptedOnlyFromNonBrowsers() throws Exception {
        assertThat(post(Map.of("Authorization", "Bearer sk-rules"), BODY).status()).isEqualTo(404);
        RawHttp.Response r = post(Map.of("Authorization", "Bearer sk-rules", "Origin", "http://evil.example"), BODY);
        assertThat(r.status()).isEqualTo(415);
        assertThat(post(Map.of("Authorization", "Bearer sk-rules", "Content-Type", "application/json; charset=utf-8"), BODY).status())
                .isEqualTo(404);
    }

    @ParameterizedTest
    @CsvSource({"attacker.example,403", "attacker.example:8080,403", "localhost.attacker.example,403", "127.0.0.1.nip.io,403",
        "localhost,404", "localhost:1234,404", "app.localhost,404", "127.0.0.1,404", "[::1]:80,404", "10.1.2.3:8080,404",
        "smelt.example,404", "a.corp.example,404", "corp.example,404", "xcorp.example,403", "[::1,403", "a:b:c,403"})
    void onlyAllowedHostsAreAnswered(String host, int status) throws Exception {
        RawHttp.Response r = post(Map.of("Host", host, "Content-Type", "application/json", "Authorization", "Bearer sk-rules"), BODY);
        if (r.status() == 400 && status == 403) {
            return; // Jetty itself refused the malformed Host: also never answered
        }
        assertThat(r.status()).as(host + ": " + r.body()).isEqualTo(status);
        if (status == 403) {
            JsonNode e = M.readTree(r.body()).path("error");
            assertThat(e.path("type").asText()).isEqualTo("permission_error");
            assertThat(e.path("message").asText()).contains("--allowed-host");
        }
        // GETs are checked too: a rebound page must not read the model list
        RawHttp.Response g = RawHttp.send(port, "GET", "/v1/models", Map.of("Host", host, "Authorization", "Bearer sk-rules"), new byte[0]);
        assertThat(g.status()).isIn(status == 403 ? List.of(403, 400) : List.of(200));
    }

    @Test
    void invalidUtf8IsA400NamingTheByteOffset() throws Exception {
        byte[] prefix = "{\"model\":\"none\",\"messages\":[{\"role\":\"user\",\"content\":\"h\u00e9".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[prefix.length + 4];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        body[prefix.length] = (byte) 0xC3; // a lead byte followed by ASCII: malformed
        body[prefix.length + 1] = '"';
        body[prefix.length + 2] = '}';
        body[prefix.length + 3] = ']';
        RawHttp.Response r = RawHttp.send(port, "POST", "/v1/chat/completions",
                Map.of("Content-Type", "application/json", "Authorization", "Bearer sk-rules"), body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(M.readTree(r.body()).path("error").path("message").asText()).contains("UTF-8").contains("byte offset " + prefix.length)
                .contains("0xC3");
        assertThat(HttpApp.utf8("ok \u4e2d".getBytes(StandardCharsets.UTF_8))).isEqualTo("ok \u4e2d");
        assertThatThrownBy(() -> HttpApp.utf8(new byte[] {'a', (byte) 0xFF})).hasMessageContaining("byte offset 1");
        assertThatThrownBy(() -> HttpApp.utf8(new byte[] {'a', 'b', (byte) 0xE4, (byte) 0xB8})).hasMessageContaining("byte offset 2");
        assertThatThrownBy(() -> HttpApp.utf8(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})) // an encoded surrogate
                .hasMessageContaining("byte offset 0");
    }

    @Test
    void aPortInUseIsOneClearLine() {
        ServerConfig cfg = new ServerConfig("127.0.0.1", port, List.of(), false, List.of(), 1, 1, 64, 1, Duration.ofMinutes(5), false);
        try (SmeltServer second = new SmeltServer(cfg, new ModelRegistry(List.of(), Map.of(), n -> null, cfg.keepAlive()), Clock.systemUTC())) {
            assertThatThrownBy(second::start).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("127.0.0.1:" + port).hasMessageContaining("another --port");
        }
    }
}
