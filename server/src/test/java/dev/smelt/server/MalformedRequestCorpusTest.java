package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.server.http.RawHttp;
import dev.smelt.testkit.SharedData;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * #12: a corpus of malformed requests for every endpoint — wrong types, out-of-range numbers, huge sizes, deep
 * nesting, broken encodings — derived from one valid body per endpoint by replacing, removing and inflating each
 * field and by corrupting the bytes. Every answer must be a 2xx (the mutation happened to be valid) or a 4xx in
 * the endpoint's error shape; never a 5xx, a hang or a broken connection, and after each endpoint's batch the
 * server is healthy and answers a normal request.
 */
class MalformedRequestCorpusTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Deeper than Jackson's nesting limit (1,000): refused while parsing. */
    private static final int DEEP = 3_000;
    /** Within Jackson's limit: reaches smelt's own code (schema compiler, message parser). */
    private static final int NESTED = 400;
    private static final int LONG_STRING = 200_000;
    private static final int LONG_ARRAY = 5_000;
    private static SmeltServer server;
    private static int port;

    @BeforeAll
    static void start() {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 2, 2, 768, 8, Duration.ofMinutes(5), false);
        ModelRegistry reg = new ModelRegistry(List.of("shakespeare"), Map.of(),
                new GgufModelLoader(Map.of("shakespeare", SharedData.model("shakespeare.gguf")), cfg), cfg.keepAlive());
        EmbeddingModels emb = new EmbeddingModels(List.of("all-minilm-l6-v2"), name -> Embedders.open(name, 1));
        server = new SmeltServer(cfg, reg, emb, Clock.systemUTC());
        port = server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) { // null when ../shared is missing and the class was skipped
            server.close(Duration.ZERO);
        }
    }

    /** One valid body per endpoint; small generation limits keep the valid mutations quick. */
    static Map<String, String> validBodies() {
        Map<String, String> b = new LinkedHashMap<>();
        b.put("/v1/completions", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":2,\"temperature\":0.5,\"top_p\":0.9,"
                + "\"n\":1,\"stop\":[\"x\"],\"seed\":1,\"logprobs\":1,\"logit_bias\":{\"5\":1},\"stream\":false,\"echo\":false}");
        b.put("/v1/chat/completions", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],\"max_tokens\":2,\"temperature\":1,"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\","
                + "\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":3}}}}},\"tools\":[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"integer\"}}}}}],"
                + "\"tool_choice\":\"auto\",\"logprobs\":true,\"top_logprobs\":2,\"stream_options\":{\"include_usage\":true}}");
        b.put("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"float\",\"dimensions\":384}");
        b.put("/api/generate", "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"system\":\"s\",\"raw\":false,\"stream\":false,"
                + "\"format\":\"json\",\"keep_alive\":\"5m\",\"context\":[1,2],\"options\":{\"num_predict\":2,\"temperature\":0.7,"
                + "\"top_k\":5,\"seed\":3,\"stop\":[\"z\"],\"num_ctx\":100}}");
        b.put("/api/chat", "{\"model\":\"shakespeare\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false,"
                + "\"format\":{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}}},\"options\":{\"num_predict\":2}}");
        b.put("/api/embed", "{\"model\":\"all-minilm\",\"input\":\"hello\",\"truncate\":true}");
        b.put("/api/embeddings", "{\"model\":\"all-minilm\",\"prompt\":\"hello\"}");
        b.put("/api/show", "{\"model\":\"shakespeare\"}");
        b.put("/v1/classify", "{\"model\":\"none\",\"input\":\"hello\",\"top_k\":2}");
        return b;
    }

    static List<String> endpoints() {
        return new ArrayList<>(validBodies().keySet());
    }

    private static final List<JsonNode> BAD_VALUES = List.of(F.nullNode(), F.numberNode(-1), F.numberNode(0), F.numberNode(1.5),
            F.numberNode(1e308), F.numberNode(new java.math.BigInteger("123456789012345678901234567890")), F.numberNode(-2147483648L),
            F.numberNode(2147483647), F.textNode(""), F.textNode("\u0000\ud800x"), F.booleanNode(true), F.arrayNode(),
            F.arrayNode().add(F.arrayNode().add(1)), F.objectNode(), F.objectNode().put("type", "nope"));

    @ParameterizedTest
    @MethodSource("endpoints")
    void everyMalformedRequestIsA4xxInTheEndpointsShapeAndTheServerStaysHealthy(String path) throws Exception {
        ObjectNode valid = (ObjectNode) M.readTree(validBodies().get(path));
        RawHttp.Response base = RawHttp.post(port, path, Map.of("Content-Type", "application/json"), validBodies().get(path));
        assertThat(base.status()).as("the valid body: " + base.body()).isEqualTo(path.equals("/v1/classify") ? 404 : 200); // no classifier served
        List<byte[]> corpus = new ArrayList<>();
        for (Iterator<String> it = valid.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            for (JsonNode v : BAD_VALUES) { // types and ranges
                corpus.add(with(valid, f, v));
            }
            corpus.add(without(valid, f));
            corpus.add(with(valid, f, F.textNode("a".repeat(LONG_STRING)))); // sizes
            ArrayNode many = F.arrayNode();
            for (int i = 0; i < LONG_ARRAY; i++) {
                many.add(valid.get(f).isArray() && !valid.get(f).isEmpty() ? valid.get(f).get(0) : F.numberNode(i));
            }
            corpus.add(with(valid, f, many));
            corpus.add(raw(validBodies().get(path).replace("\"" + f + "\":", "\"" + f + "\":" + "[".repeat(DEEP)))); // nesting
            corpus.add(with(valid, f, nested(NESTED)));
            if (valid.get(f).isObject()) {
                corpus.add(with(valid, f, ((ObjectNode) valid.get(f).deepCopy()).set("properties", nested(NESTED))));
            }
        }
        corpus.add(with(valid, "unknown_field", F.numberNode(1)));
        String body = validBodies().get(path);
        byte[] utf8 = body.getBytes(StandardCharsets.UTF_8); // encodings
        corpus.add(concat(utf8, new byte[] {(byte) 0xFF}));
        corpus.add(concat(Arrays.copyOf(utf8, utf8.length - 2), new byte[] {(byte) 0xC3, '"', '}'}));
        corpus.add(concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8));
        corpus.add(body.getBytes(StandardCharsets.UTF_16LE));
        corpus.add(Arrays.copyOf(utf8, utf8.length / 2));
        corpus.add(raw(body + body));
        corpus.add(raw(body.replaceFirst("\\{", "{\"model\":\"x\",")));
        for (String s : List.of("", " ", "null", "[]", "\"s\"", "1", "{", "}", "{\"model\":}", "{'model':'x'}")) {
            corpus.add(raw(s));
        }
        int fourXx = 0;
        for (byte[] b : corpus) {
            RawHttp.Response r = RawHttp.send(port, "POST", path, Map.of("Content-Type", "application/json"), b);
            String what = path + " <- " + preview(b) + " -> " + r.status() + " " + preview(r.body().getBytes(StandardCharsets.UTF_8));
            assertThat(r.status()).as(what).isBetween(200, 499);
            if (r.status() >= 400) {
                fourXx++;
                JsonNode e = M.readTree(r.body()).path("error");
                if (path.startsWith("/api/")) {
                    assertThat(e.isTextual()).as(what).isTrue();
                } else {
                    assertThat(e.path("message").isTextual() && e.path("type").isTextual()).as(what).isTrue();
                }
            }
        }
        assertThat(fourXx).as("most of the corpus is malformed").isGreaterThan(corpus.size() / 2);
        assertHealthy();
    }

    private static void assertHealthy() throws Exception {
        assertThat(RawHttp.send(port, "GET", "/health", Map.of(), new byte[0]).status()).isEqualTo(200);
        RawHttp.Response r = RawHttp.post(port, "/v1/completions", Map.of("Content-Type", "application/json"),
                "{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":3}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(M.readTree(r.body()).path("usage").path("completion_tokens").asInt()).isEqualTo(3);
        assertThat(server.inFlight()).isZero();
    }

    private static JsonNode nested(int depth) {
        ObjectNode root = F.objectNode();
        ObjectNode o = root;
        for (int i = 0; i < depth; i++) {
            o = o.putObject("type");
        }
        return root;
    }

    private static byte[] with(ObjectNode valid, String field, JsonNode v) {
        ObjectNode c = valid.deepCopy();
        c.set(field, v);
        return c.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] without(ObjectNode valid, String field) {
        ObjectNode c = valid.deepCopy();
        c.remove(field);
        return c.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] raw(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String preview(byte[] b) {
        String s = new String(b, 0, Math.min(b.length, 160), StandardCharsets.UTF_8);
        return s.replace("\n", "\\n") + (b.length > 160 ? "…(" + b.length + " bytes)" : "");
    }
}
