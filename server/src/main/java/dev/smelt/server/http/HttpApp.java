package dev.smelt.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.text.Quote;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.util.JavalinBindException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP rules every smelt server follows ({@code serve} and {@code route} alike), written once:
 * <ul>
 *   <li>{@code Host} must be allowed ({@link AllowedHosts}; 403 otherwise, against DNS rebinding);</li>
 *   <li>an API key when keys are set ({@link ApiKeys}; 401), except for {@code /health} and CORS preflights;</li>
 *   <li>a POST body is {@code application/json} (415 otherwise: a web page can send {@code text/plain} or a
 *       form cross-origin without a CORS preflight, JSON it cannot); a POST without a Content-Type is
 *       accepted only from a non-browser client (no {@code Origin} header);</li>
 *   <li>bodies are strict UTF-8 (400 naming the byte offset) and at most {@link #MAX_BODY_BYTES} (413);</li>
 *   <li>errors in OpenAI's shape {@code {"error": {"message", "type", "param", "code"}}}, or Ollama's
 *       {@code {"error": "..."}} under {@code /api/}; unexpected exceptions are a 500 in that shape, never a
 *       stack trace;</li>
 *   <li>one JSON request-log line per request ({@link RequestLog}).</li>
 * </ul>
 * Stateless helpers over a Javalin app the caller owns.
 */
public final class HttpApp {
    /** Largest accepted request body (OpenAI allows long prompts; bigger bodies get a 413). */
    public static final long MAX_BODY_BYTES = 32L << 20;
    /** Request attribute: the model a request used, for the request log. */
    public static final String MODEL_ATTRIBUTE = "smelt.model";
    private static final String START_ATTRIBUTE = "smelt.start";
    /** Strict: a duplicate key or text after the object is a 400, not a silently dropped value. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private HttpApp() {
    }

    /** A Javalin app with smelt's rules installed (not started); add routes, then {@link #start}. */
    public static Javalin create(HttpSettings s, RequestLog log) {
        s.validate();
        AllowedHosts hosts = new AllowedHosts(s.host(), s.allowedHosts());
        Javalin app = Javalin.create(c -> {
            c.useVirtualThreads = true;
            c.showJavalinBanner = false;
            c.http.maxRequestSize = MAX_BODY_BYTES;
            c.startupWatcherEnabled = false;
            if (!s.corsOrigins().isEmpty()) {
                c.bundledPlugins.enableCors(cors -> cors.addRule(rule -> s.corsOrigins().forEach(rule::allowHost)));
            }
        });
        app.before(ctx -> guard(ctx, hosts, s.apiKeys()));
        app.after(ctx -> logRequest(ctx, log, s.logPrompts()));
        app.exception(ApiException.class, (e, ctx) -> writeError(ctx, e));
        app.exception(HttpResponseException.class, (e, ctx) -> writeError(ctx, new ApiException(e.getStatus(),
                e.getStatus() >= 500 ? "server_error" : "invalid_request_error", e.getMessage(), null, null, null)));
        app.exception(Exception.class, (e, ctx) -> {
            log.write(log.event("internal_error").put("path", ctx.path()).put("error", e.toString()));
            writeError(ctx, new ApiException(500, "server_error", "internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage(),
                    null, null, null));
        });
        app.error(HttpStatus.NOT_FOUND, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                writeError(ctx, ApiException.notFound("unknown endpoint " + ctx.method() + " " + ctx.path(), null, "unknown_url"));
            }
        });
        app.error(HttpStatus.CONTENT_TOO_LARGE, ctx -> writeError(ctx, new ApiException(413, "invalid_request_error",
                "request body exceeds " + MAX_BODY_BYTES + " bytes", null, "request_too_large", null)));
        return app;
    }

    /**
     * Starts {@code app}; returns the bound port. A port in use is an {@link IllegalArgumentException} (the
     * {@code --port} cannot be used) with smelt's one-line message, checked before Javalin tries, so Javalin's
     * own ERROR line and stack trace never print.
     */
    public static int start(Javalin app, String host, int port) {
        if (port != 0) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true); // as Jetty binds: a socket in TIME_WAIT does not count as in use
                probe.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            } catch (IOException e) {
                throw new IllegalArgumentException(inUse(host, port, e));
            }
        }
        try {
            app.start(host, port);
        } catch (JavalinBindException e) { // taken between the probe and the bind
            throw new IllegalArgumentException(inUse(host, port, e));
        }
        return app.port();
    }

    private static String inUse(String host, int port, Exception e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof java.net.UnknownHostException) {
            return "cannot listen on " + host + ":" + port + ": unknown --host " + host;
        }
        boolean taken = why.contains("in use") || e instanceof JavalinBindException;
        return "cannot listen on " + host + ":" + port + " (" + why + ")"
                + (taken ? ": another server is using the port; stop it or pick another --port" : ": check --host and --port");
    }

    /** {@code /health}: 200 {"status": "ok"} when ready, else 503 with {@code status}. */
    public static void health(Context ctx, boolean ready, String notReadyStatus) {
        if (ready) {
            ctx.json(Map.of("status", "ok"));
        } else {
            ctx.status(503).json(Map.of("status", notReadyStatus));
        }
    }

    /** Time since the request arrived. */
    public static Duration elapsed(Context ctx) {
        Long start = ctx.attribute(START_ATTRIBUTE);
        return Duration.ofNanos(System.nanoTime() - (start != null ? start : System.nanoTime()));
    }

    static void guard(Context ctx, AllowedHosts hosts, ApiKeys keys) {
        ctx.attribute(START_ATTRIBUTE, System.nanoTime());
        String host = ctx.header("Host");
        if (!hosts.allows(host)) {
            throw new ApiException(403, "permission_error", "Host " + Quote.of(host) + " is not allowed: this server answers loopback names, "
                    + "IP addresses and its --host; start it with --allowed-host NAME to serve this name", null, "host_not_allowed", null);
        }
        String method = ctx.method().name();
        if (!keys.isEmpty() && !ctx.path().equals("/health") && !method.equals("OPTIONS") && !isPublicPage(method, ctx.path())) {
            String h = ctx.header("Authorization");
            String key = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : ctx.header("x-api-key");
            if (key == null || !keys.matches(key.strip())) {
                throw new ApiException(401, "authentication_error", key == null ? "missing API key: send 'Authorization: Bearer KEY'"
                        : "invalid API key", null, "invalid_api_key", null);
            }
        }
        if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            requireJson(ctx.header("Content-Type"), ctx.header("Origin"));
        }
    }

    /**
     * The web pages' shells and static files, served without a key: they hold no data (every model, stat
     * and answer comes from the keyed API), and the page must load to ask the user for the key.
     */
    static boolean isPublicPage(String method, String path) {
        return (method.equals("GET") || method.equals("HEAD")) && (PUBLIC_PAGES.contains(path) || path.startsWith("/ui/")
                || path.startsWith("/webjars/"));
    }

    private static final java.util.Set<String> PUBLIC_PAGES = java.util.Set.of("/", "/dashboard", "/docs", "/runs", "/openapi.json");

    /** 415 unless the body is declared JSON (or undeclared by a non-browser client). */
    static void requireJson(String contentType, String origin) {
        if (contentType == null || contentType.isBlank()) {
            if (origin == null) {
                return; // scripts and SDKs that send no Content-Type; browsers always send Origin cross-origin
            }
            throw unsupportedMediaType("(none)");
        }
        String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!type.equals("application/json") && !(type.startsWith("application/") && type.endsWith("+json"))) {
            throw unsupportedMediaType(type);
        }
    }

    private static ApiException unsupportedMediaType(String type) {
        return new ApiException(415, "invalid_request_error", "Content-Type " + type + " is not accepted: send the JSON body with "
                + "'Content-Type: application/json' (curl: --json or -H 'Content-Type: application/json')", null,
                "unsupported_media_type", null);
    }

    /**
     * The request body as a JSON object: strict UTF-8 (400 naming the byte offset of the first invalid
     * byte, never a silent U+FFFD), then JSON (400 with the parser's location); Jackson's default limits
     * bound nesting depth and number and string lengths.
     */
    public static ObjectNode jsonBody(Context ctx) {
        return jsonObject(ctx.bodyAsBytes());
    }

    /** As {@link #jsonBody}, over raw bytes. */
    public static ObjectNode jsonObject(byte[] body) {
        String text = utf8(body);
        if (text.isBlank()) {
            throw ApiException.badRequest("request body is empty; expected a JSON object", null);
        }
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (Exception e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw ApiException.badRequest("malformed JSON in request body: " + msg, null);
        }
        if (!(n instanceof ObjectNode o)) {
            throw ApiException.badRequest("request body must be a JSON object", null);
        }
        return o;
    }

    /** Strict UTF-8 decoding; 400 naming the offset of the first byte that is not valid UTF-8. */
    public static String utf8(byte[] body) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        try {
            return d.decode(in).toString();
        } catch (CharacterCodingException e) {
            // decode() stops with the buffer at the start of the bad sequence
            throw ApiException.badRequest("request body is not valid UTF-8: invalid byte 0x"
                    + String.format("%02X", body[Math.min(in.position(), body.length - 1)] & 0xFF) + " at byte offset " + in.position(), null);
        }
    }

    /** Writes {@code e} in the shape of the API the request was for. */
    public static void writeError(Context ctx, ApiException e) {
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
        }
        if (ctx.path().startsWith("/api/")) { // Ollama's error shape
            ctx.status(e.status()).contentType("application/json").result(JSON.createObjectNode().put("error", e.getMessage()).toString());
            return;
        }
        ObjectNode o = JSON.createObjectNode();
        ObjectNode err = o.putObject("error");
        err.put("message", e.getMessage()).put("type", e.type());
        if (e.param() != null) {
            err.put("param", e.param());
        } else {
            err.putNull("param");
        }
        if (e.code() != null) {
            err.put("code", e.code());
        } else {
            err.putNull("code");
        }
        ctx.status(e.status()).contentType("application/json").result(o.toString());
    }

    private static void logRequest(Context ctx, RequestLog log, boolean logPrompts) {
        ObjectNode line = log.event("http_request").put("method", ctx.method().name()).put("route", route(ctx))
                .put("status", ctx.statusCode()).put("duration_ms", elapsed(ctx).toMillis());
        String model = ctx.attribute(MODEL_ATTRIBUTE);
        if (model != null) {
            line.put("model", model);
        }
        if (logPrompts) {
            line.put("body", new String(ctx.bodyAsBytes(), StandardCharsets.UTF_8));
        }
        log.write(line);
    }

    /** The matched route ({@code /v1/models/{id}}), or the path when none matched. */
    public static String route(Context ctx) {
        String r = ctx.endpointHandlerPath();
        return r == null || r.isEmpty() || r.equals("*") ? ctx.path() : r; // "*": refused before routing
    }
}
