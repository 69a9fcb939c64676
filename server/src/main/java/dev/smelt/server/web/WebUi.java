package dev.smelt.server.web;

import dev.smelt.server.http.ApiException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * smelt's web pages: the playground at {@code /}, the dashboard at {@code /dashboard}, the training runs at {@code /runs}, the API
 * docs at {@code /docs}, and their static files at {@code /ui/NAME} — plain HTML, CSS and ES modules from this jar's resources,
 * no build step, no CDN. Each page is written once: its own {@code <main>} in {@code pages/FILE}, put at startup into the one
 * layout ({@code parts/layout.html}: head, "Skip to content" link, the nav built from {@link #pages(Page) the page list} with
 * {@code aria-current} on the page itself, and the API-key dialog from {@code parts/key-dialog.html}), so the key prompt
 * renders without script and with no client-side include. Every page carries a strict Content-Security-Policy: scripts and
 * styles only from this origin, no inline script or style, requests only to this origin, no framing. The pages hold no data
 * and need no key ({@link dev.smelt.server.http.HttpApp} lets them through); they call the keyed API with the key the user
 * types, kept in {@code sessionStorage}. Stateless once installed.
 */
public final class WebUi {
    /** Where the files live on the classpath. */
    static final String ROOT = "/dev/smelt/server/web/";
    /** No inline script or style anywhere; model output reaches the page only as text. */
    public static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    /** Files under {@code /ui/}: scripts, styles, images; the pages themselves only at their own paths. */
    private static final Pattern FILE = Pattern.compile("[a-z0-9][a-z0-9_-]*\\.(js|css|svg)");
    /** The WebJars served, by name and version folder, then plain path segments. */
    private static final Pattern WEBJAR = Pattern.compile("(uplot|swagger-ui)/[0-9][0-9.]*/([A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*");
    private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml");
    private static final String HTML = "text/html; charset=utf-8";
    /** A placeholder of the layout: {@code {{name}}}. */
    private static final Pattern SLOT = Pattern.compile("\\{\\{([a-z]+)}}");
    /** uPlot's stylesheet; its script comes through {@code /ui/uplot.js}, the same version. */
    private static final String UPLOT_CSS = "/webjars/uplot/1.6.30/dist/uPlot.min.css";
    private static final String SWAGGER = "/webjars/swagger-ui/5.35.0/";

    /**
     * One page: served at {@code path} from {@code pages/file} (its {@code <main>}, holding the element {@code id="content"}
     * that "Skip to content" goes to), titled {@code title}, named {@code label} in the nav, with {@code head} (stylesheet and
     * script tags after the shared stylesheet) and, when {@code keyed}, the API-key dialog.
     */
    public record Page(String path, String file, String title, String label, List<String> head, boolean keyed) {
        public Page {
            head = List.copyOf(head);
        }
    }

    public static final Page PLAYGROUND = new Page("/", "playground.html", "smelt playground", "Playground",
            List.of(module("/ui/playground.js")), true);
    public static final Page DASHBOARD = new Page("/dashboard", "dashboard.html", "smelt dashboard", "Dashboard",
            List.of(stylesheet(UPLOT_CSS), module("/ui/dashboard.js")), true);
    /** {@code smelt route}'s dashboard, in place of {@link #DASHBOARD}. */
    public static final Page ROUTER_DASHBOARD = new Page("/dashboard", "router.html", "smelt router dashboard", "Dashboard",
            List.of(stylesheet(UPLOT_CSS), module("/ui/router.js")), true);
    public static final Page RUNS = new Page("/runs", "runs.html", "smelt runs", "Runs",
            List.of(stylesheet("/ui/runs.css"), stylesheet(UPLOT_CSS), module("/ui/runs.js")), true);
    public static final Page DOCS = new Page("/docs", "docs.html", "smelt API docs", "API docs",
            List.of(stylesheet(SWAGGER + "swagger-ui.css"), script(SWAGGER + "swagger-ui-bundle.js"), module("/ui/docs.js")), false);

    private WebUi() {
    }

    /** The pages {@code smelt serve} or {@code smelt route} (its {@code dashboard}) shows, in nav order. */
    public static List<Page> pages(Page dashboard) {
        return List.of(PLAYGROUND, dashboard, RUNS, DOCS);
    }

    /** Adds {@code GET /}, {@code /dashboard}, {@code /runs}, {@code /docs}, {@code /ui/{file}} and {@code /webjars/...} to {@code app}. */
    public static void install(Javalin app) {
        install(app, DASHBOARD);
    }

    /**
     * As {@link #install(Javalin)}, with the page {@code /dashboard} shows ({@code smelt route}: {@link #ROUTER_DASHBOARD}).
     * Every page is assembled here, once; a missing or malformed page file fails here, at startup.
     */
    public static void install(Javalin app, Page dashboard) {
        List<Page> pages = pages(dashboard);
        for (Page p : pages) {
            byte[] html = render(p, pages).getBytes(StandardCharsets.UTF_8);
            app.get(p.path(), ctx -> {
                secure(ctx);
                ctx.header("Cache-Control", "no-cache");
                ctx.contentType(HTML).result(html);
            });
        }
        app.get("/ui/{file}", ctx -> file(ctx, ctx.pathParam("file")));
        app.get("/webjars/<path>", ctx -> webjar(ctx, ctx.pathParam("path")));
    }

    /** {@code page} in the layout, with the nav of {@code pages}. */
    static String render(Page page, List<Page> pages) {
        String main = text("pages/" + page.file());
        if (!main.contains("id=\"content\"")) {
            throw new IllegalStateException("the page file " + ROOT + "pages/" + page.file() + " has no element with id=\"content\" for its skip link");
        }
        StringBuilder nav = new StringBuilder();
        for (Page p : pages) {
            nav.append(nav.isEmpty() ? "" : " ").append("<a href=\"").append(p.path()).append('"')
                    .append(p.path().equals(page.path()) ? " aria-current=\"page\"" : "").append('>').append(p.label()).append("</a>");
        }
        Map<String, String> slots = Map.of("title", page.title(), "head", page.head().stream().map(t -> t + "\n").collect(Collectors.joining()),
                "nav", nav.toString(), "main", main, "dialog", page.keyed() ? text("parts/key-dialog.html") : "");
        return SLOT.matcher(text("parts/layout.html")).replaceAll(m -> {
            String v = slots.get(m.group(1));
            if (v == null) {
                throw new IllegalStateException("the layout " + ROOT + "parts/layout.html has an unknown slot " + m.group());
            }
            return Matcher.quoteReplacement(v);
        });
    }

    private static String stylesheet(String href) {
        return "<link rel=\"stylesheet\" href=\"" + href + "\">";
    }

    private static String module(String src) {
        return "<script type=\"module\" src=\"" + src + "\"></script>";
    }

    /** A classic script (Swagger UI's bundle sets a global the module after it uses). */
    private static String script(String src) {
        return "<script src=\"" + src + "\"></script>";
    }

    private static String text(String name) {
        byte[] b = resource(name);
        if (b == null) {
            throw new IllegalStateException("the page file " + ROOT + name + " is not in the jar");
        }
        return new String(b, StandardCharsets.UTF_8);
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

    private static void file(Context ctx, String name) {
        byte[] body = FILE.matcher(name).matches() ? resource(name) : null;
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
