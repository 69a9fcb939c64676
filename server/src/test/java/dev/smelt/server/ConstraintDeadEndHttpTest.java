package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufValueType;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.testkit.SharedData;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Constrained decoding that reaches a dead end (no token of the vocabulary may come next) fails the request: 422
 * {@code constraint_dead_end} (an error event on a stream), never finish_reason "stop" on a cut document. The model
 * is the shakespeare fixture with its byte pieces above 0x7F renamed, so that it cannot spell "中".
 */
class ConstraintDeadEndHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** GGUF token_type of a plain text piece. */
    private static final int NORMAL = 1;

    @TempDir
    Path dir;

    /** shakespeare.gguf whose {@code <0x80>}…{@code <0xFF>} pieces are no longer byte tokens: no non-ASCII text can be spelled. */
    private Path asciiOnlyModel() throws Exception {
        Path out = dir.resolve("ascii-only.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("shakespeare.gguf"))) {
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens").clone();
            int[] types = f.getIntArray("tokenizer.ggml.token_type").clone();
            int renamed = 0;
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i].matches("<0x[89A-F][0-9A-F]>")) {
                    tokens[i] = "[unused" + i + "]";
                    types[i] = NORMAL;
                    renamed++;
                }
            }
            assertThat(renamed).isEqualTo(128);
            GgufWriter w = new GgufWriter().putAll(f.metadata()).put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens))
                    .put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
            for (GgufTensorInfo t : f.tensors()) {
                w.tensor(t.name(), t.dims(), t.type(), f.tensorData(t).toArray(ValueLayout.JAVA_BYTE));
            }
            w.write(out);
        }
        return out;
    }

    private static HttpResponse<String> post(String base, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aSchemaTheVocabularyCannotSpellIsAnErrorNotAStop() throws Exception {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 256, 4, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("ascii"), Map.of(), new GgufModelLoader(Map.of("ascii", asciiOnlyModel()), cfg), cfg.keepAlive());
        try (SmeltServer s = new SmeltServer(cfg, reg, Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + s.start();
            String chat = "{\"model\":\"ascii\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":8,"
                    + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"const\":\"中\"}}}";
            HttpResponse<String> r = post(base, "/v1/chat/completions", chat + "}");
            // before: 200, content "" and finish_reason "stop"
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            JsonNode e = M.readTree(r.body()).path("error");
            assertThat(e.path("code").asText()).isEqualTo("constraint_dead_end");
            assertThat(e.path("type").asText()).isEqualTo("invalid_request_error");
            assertThat(e.path("message").asText()).contains("dead end at byte 0 of the JSON document");

            HttpResponse<String> stream = post(base, "/v1/chat/completions", chat + ",\"stream\":true}");
            assertThat(stream.body()).as("an error event, no finish").contains("dead end").doesNotContain("\"finish_reason\":\"stop\"");

            HttpResponse<String> ollama = post(base, "/api/chat", "{\"model\":\"ascii\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    + "\"format\":{\"const\":\"中\"}}");
            assertThat(ollama.statusCode()).as(ollama.body()).isEqualTo(422);
            assertThat(M.readTree(ollama.body()).path("error").asText()).contains("dead end");

            HttpResponse<String> ascii = post(base, "/v1/chat/completions", chat.replace("中", "ok") + "}");
            assertThat(ascii.statusCode()).as("the engine goes on: " + ascii.body()).isEqualTo(200);
            assertThat(M.readTree(ascii.body()).at("/choices/0/message/content").asText()).isEqualTo("\"ok\"");
        }
    }
}
