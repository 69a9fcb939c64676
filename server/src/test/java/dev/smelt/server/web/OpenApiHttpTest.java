package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.hub.ModelDownloader;
import dev.smelt.model.store.ModelStore;
import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /openapi.json} of a real {@code smelt serve} with a model store and {@code --runs} (every route smelt serve can register):
 * OpenAPI 3.1, every registered route described (none marked undocumented), every described route registered, every
 * {@code $ref} resolving, every operation with responses.
 */
class OpenApiHttpTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch");
    @TempDir
    static Path home;
    private static SmeltServer server;
    private static JsonNode doc;

    @BeforeAll
    static void start() throws Exception {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of("sk-doc"), false, List.of(), 2, 2, 256, 4, Duration.ofMinutes(5), false);
        ModelStore store = new ModelStore(home);
        ModelRegistry reg = new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg, (n, m) -> { }, Map.of(), store, Map.of()),
                cfg.keepAlive());
        server = new SmeltServer(cfg, reg, Clock.systemUTC())
                .enableStore(new ModelDownloader(HTTP, URI.create("http://127.0.0.1:9"), home.resolve("unused"), false, null))
                .enableRuns(home);
        String base = "http://127.0.0.1:" + server.start();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/openapi.json")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200); // no key needed: it describes, it serves nothing
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        doc = M.readTree(r.body());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close(Duration.ZERO);
        }
    }

    private static Set<String> operations() {
        Set<String> out = new TreeSet<>();
        doc.path("paths").properties().forEach(p -> p.getValue().fieldNames().forEachRemaining(m -> {
            if (METHODS.contains(m)) {
                out.add(m + " " + p.getKey());
            }
        }));
        return out;
    }

    @Test
    void isOpenApi31WithTheRequiredEndpoints() {
        assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
        assertThat(doc.path("info").path("title").asText()).isEqualTo("smelt serve");
        assertThat(doc.path("info").path("version").isTextual()).isTrue();
        assertThat(operations()).contains("post /v1/chat/completions", "post /v1/completions", "post /v1/embeddings", "get /v1/models",
                "post /v1/classify", "post /api/chat", "post /api/generate", "get /api/tags", "get /health", "get /metrics",
                "get /api/smelt/stats", "post /api/pull");
    }

    @Test
    void everyRegisteredRouteIsDescribedAndEveryDescriptionIsRegistered() {
        List<String> undocumented = new ArrayList<>();
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(op -> {
            if (op.getValue().path("x-smelt-undocumented").asBoolean(false)) {
                undocumented.add(op.getKey() + " " + p.getKey());
            }
        }));
        assertThat(undocumented).as("routes registered without a description in openapi-catalog.json").isEmpty();
        // the catalog describes smelt route's own routes too (tagged Router); smelt serve registers every other one
        List<String> serveOperations = OpenApiCatalog.operationKeys().stream().filter(k -> {
            String[] mp = k.split(" ", 2);
            return !OpenApiCatalog.operation(mp[0], mp[1]).path("tags").toString().contains("\"Router\"");
        }).toList();
        assertThat(operations()).as("described in openapi-catalog.json but not registered by smelt serve")
                .containsExactlyInAnyOrderElementsOf(serveOperations);
    }

    @Test
    void everyOperationHasResponsesAndEveryRefResolves() {
        doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(op -> {
            JsonNode responses = op.getValue().path("responses");
            assertThat(responses.isObject() && !responses.isEmpty()).as(op.getKey() + " " + p.getKey()).isTrue();
            responses.properties().forEach(r -> assertThat(r.getValue().path("description").isTextual())
                    .as("description of " + r.getKey() + " in " + op.getKey() + " " + p.getKey()).isTrue());
            assertThat(op.getValue().path("operationId").isTextual()).isTrue();
        }));
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).startsWith("#/components/schemas/");
            assertThat(doc.at(ref.substring(1)).isObject()).as("$ref " + ref + " resolves").isTrue();
        }
        assertThat(doc.path("components").path("securitySchemes").path("bearer").path("scheme").asText()).isEqualTo("bearer");
        assertThat(doc.path("paths").path("/health").path("get").has("security")).isFalse();
        assertThat(doc.path("paths").path("/v1/models/{id}").path("get").path("parameters").get(0).path("name").asText()).isEqualTo("id");
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            n.properties().forEach(e -> {
                if (e.getKey().equals("$ref")) {
                    out.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), out);
                }
            });
        } else if (n.isArray()) {
            n.forEach(x -> collectRefs(x, out));
        }
    }
}
