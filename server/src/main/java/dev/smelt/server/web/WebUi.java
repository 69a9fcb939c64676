package dev.smelt.server.web;

import dev.smelt.server.http.ApiException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * smelt's web pages: the playground at {@code /}, the dashboard at {@code /dashboard}, the training runs at {@code /runs}, and their static files at
 * {@code /ui/NAME} — plain HTML, CSS and ES modules from this jar's resources, no build step, no CDN. Every page
 * carries a strict Content-Security-Policy: scripts and styles only from this origin, no inline script or style,
 * requests only to this origin, no framing. The pages hold no data and need no key
 * ({@link dev.smelt.server.http.HttpApp} lets them through); they call the keyed API with the key the user types,
 * kept in {@code sessionStorage}. Stateless.
 */
public final class WebUi {
    /** Where the files live on the classpath. */
    static final String ROOT = "/dev/smelt/server/web/";
    /** No inline script or style anywhere; model output reaches the page only as text. */
    public static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final Pattern FILE = Pattern.compile("[a-z0-9][a-z0-9_-]*\\.(js|css|html|svg)");
    /** The WebJars served, by name and version folder, then plain path segments. */
    private static final Pattern WEBJAR = Pattern.compile("(uplot|swagger-ui)/[0-9][0-9.]*/([A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*");
    private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "html", "text/html; charset=utf-8", "svg", "image/svg+xml");

    private WebUi() {
    }

    /** Adds {@code GET /}, {@code /dashboard}, {@code /docs}, {@code /ui/{file}} and {@code /webjars/...} to {@code app}. */
    public static void install(Javalin app) {
        install(app, "dashboard.html");
    }

    /** As {@link #install(Javalin)}, with the page file {@code /dashboard} shows ({@code smelt route}: its router dashboard). */
    public static void install(Javalin app, String dashboardPage) {
        app.get("/", ctx -> page(ctx, "index.html"));
        app.get("/dashboard", ctx -> page(ctx, dashboardPage));
        app.get("/docs", ctx -> page(ctx, "docs.html"));
        app.get("/runs", ctx -> page(ctx, "runs.html"));
        app.get("/ui/{file}", ctx -> page(ctx, ctx.pathParam("file")));
        app.get("/webjars/<path>", ctx -> webjar(ctx, ctx.pathParam("path")));
    }

    /**
     * A file of a WebJar on the classpath ({@code META-INF/resources/webjars/...}): only the libraries the pages
     * use, only names made of plain segments (no {@code ..}), and only script, style and image types.
     */
    private static void webjar(Context ctx, String path) {
        String ext = path.substring(path.lastIndexOf('.') + 1);
        String type = switch (ext) {
            case "js", "mjs" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "png" -> "image/png";
            default -> null;
        };
        if (type == null || !WEBJAR.matcher(path).matches()) {
            throw ApiException.notFound("no such library file: " + path, null, "unknown_url");
        }
        byte[] body;
        try (InputStream in = WebUi.class.getResourceAsStream("/META-INF/resources/webjars/" + path)) {
            body = in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the library file " + path + " from the jar", e);
        }
        if (body == null) {
            throw ApiException.notFound("no such library file: " + path, null, "unknown_url");
        }
        secure(ctx);
        ctx.header("Cache-Control", "public, max-age=86400"); // versioned paths: a new version is a new URL
        ctx.contentType(type).result(body);
    }

    /** Sets the security headers every smelt page carries. */
    public static void secure(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
    }

    private static void page(Context ctx, String name) {
        if (!FILE.matcher(name).matches()) {
            throw ApiException.notFound("no such page file: " + name, null, "unknown_url");
        }
        byte[] body = resource(name);
        if (body == null) {
            throw ApiException.notFound("no such page file: " + name, null, "unknown_url");
        }
        secure(ctx);
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(TYPES.get(name.substring(name.lastIndexOf('.') + 1))).result(body);
    }

    /** The named file's bytes, or null when there is none. */
    static byte[] resource(String name) {
        try (InputStream in = WebUi.class.getResourceAsStream(ROOT + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the page file " + name + " from the jar", e);
        }
    }
}
