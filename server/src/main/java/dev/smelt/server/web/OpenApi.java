package dev.smelt.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /openapi.json}: an OpenAPI 3.1 document of the routes this server actually registered, read from
 * Javalin's router when asked (so {@code serve}, {@code serve} with a model store, and {@code route} each describe
 * what they answer). Each route takes its description from {@link OpenApiCatalog}; a registered route the catalog does
 * not know still appears, marked {@code x-smelt-undocumented} (a test fails on it), so the document never silently
 * omits an endpoint. The web pages themselves are not API and are left out. Stateless.
 */
public final class OpenApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Routes that serve the web pages, not the API. */
    static final Set<String> PAGE_ROUTES = Set.of("/", "/dashboard", "/docs", "/runs", "/ui/{file}", "/webjars/<path>");
    private static final Set<HandlerType> METHODS = Set.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.DELETE,
            HandlerType.PATCH);

    private OpenApi() {
    }

    /** Adds {@code GET /openapi.json} to {@code app}; {@code title} names the server ("smelt serve"). */
    public static void install(Javalin app, String title) {
        app.get("/openapi.json", ctx -> {
            WebUi.secure(ctx);
            ctx.contentType("application/json").result(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document(app, title)));
        });
    }

    /** A registered route: its method and Javalin path ({@code /v1/models/{id}}). */
    public record Route(String method, String path) {
    }

    /** The API routes registered on {@code app} (page routes and before/after filters left out), in registration order. */
    public static List<Route> registered(Javalin app) {
        List<Route> out = new ArrayList<>();
        for (var e : app.unsafeConfig().pvt.internalRouter.allHttpHandlers()) {
            Endpoint ep = e.getEndpoint();
            if (METHODS.contains(ep.getMethod()) && !PAGE_ROUTES.contains(ep.getPath())) {
                out.add(new Route(ep.getMethod().name().toLowerCase(Locale.ROOT), ep.getPath()));
            }
        }
        return out;
    }

    static ObjectNode document(Javalin app, String title) {
        ObjectNode doc = JSON.createObjectNode().put("openapi", "3.1.0");
        doc.putObject("info").put("title", title).put("version", "1")
                .put("description", "smelt's OpenAI- and Ollama-compatible HTTP API. With API keys set, send 'Authorization: Bearer KEY' "
                        + "(/health needs none).");
        ObjectNode paths = doc.putObject("paths");
        boolean keyed = false;
        for (Route r : registered(app)) {
            ObjectNode item = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            ObjectNode op = OpenApiCatalog.operation(r.method(), r.path());
            if (op == null) {
                op = JSON.createObjectNode().put("summary", "undocumented route").put("x-smelt-undocumented", true);
                op.putObject("responses").putObject("default").put("description", "see smelt's documentation");
            }
            op.put("operationId", operationId(r));
            addPathParameters(op, r.path());
            if (!r.path().equals("/health") && !r.path().equals("/openapi.json")) { // both answer without a key
                op.putArray("security").addObject().putArray("bearer");
                keyed = true;
            }
            item.set(r.method(), op);
        }
        ObjectNode components = doc.putObject("components");
        components.set("schemas", OpenApiCatalog.schemas());
        if (keyed) {
            components.putObject("securitySchemes").putObject("bearer").put("type", "http").put("scheme", "bearer")
                    .put("description", "one of the server's API keys (--api-key, SMELT_API_KEY, --api-key-file); not needed without keys");
        }
        return doc;
    }

    private static String operationId(Route r) {
        return r.method() + r.path().replaceAll("[^A-Za-z0-9]+", "_").replaceAll("_$", "");
    }

    private static void addPathParameters(ObjectNode op, String path) {
        var m = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(path);
        ArrayNode params = null;
        while (m.find()) {
            if (params == null) {
                params = op.putArray("parameters");
            }
            params.addObject().put("name", m.group(1)).put("in", "path").put("required", true).putObject("schema").put("type", "string");
        }
    }
}
