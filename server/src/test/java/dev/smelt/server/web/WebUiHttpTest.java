package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.server.http.HttpApp;
import dev.smelt.server.http.HttpSettings;
import dev.smelt.server.http.ApiKeys;
import dev.smelt.server.http.RequestLog;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The pages over HTTP, with API keys set: served without a key, with a strict CSP, and nothing else opened by them. */
class WebUiHttpTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Javalin app;
    private static String base;

    @BeforeAll
    static void start() {
        HttpSettings s = new HttpSettings("127.0.0.1", 0, ApiKeys.of(List.of("sk-web"), "test"), false, List.of(), List.of(), false);
        app = HttpApp.create(s, new RequestLog(Clock.systemUTC(), line -> { }));
        app.get("/v1/models", ctx -> ctx.json(java.util.Map.of("object", "list")));
        WebUi.install(app);
        base = "http://127.0.0.1:" + HttpApp.start(app, "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        app.stop();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void playgroundIsHtmlWithAStrictPolicyAndTheRequiredControls() throws Exception {
        HttpResponse<String> r = get("/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
        assertThat(csp).contains("default-src 'none'").contains("script-src 'self'").contains("style-src 'self'")
                .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        assertThat(r.body()).contains("<textarea id=\"prompt\" name=\"prompt\"").contains("<button type=\"submit\">");
    }

    /** Every page as served by smelt serve and smelt route: both dashboards in the nav's place. */
    static Stream<Arguments> pages() {
        return Stream.of(WebUi.DASHBOARD, WebUi.ROUTER_DASHBOARD).flatMap(dash -> WebUi.pages(dash).stream()
                .map(p -> Arguments.of(p, WebUi.render(p, WebUi.pages(dash)))));
    }

    @ParameterizedTest
    @MethodSource("pages")
    void pagesHaveNoInlineScriptOrStyle(WebUi.Page page, String html) {
        assertThat(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>").matcher(html).find()).as("inline <script> in " + page).isFalse();
        assertThat(Pattern.compile("\\sstyle=|<style|\\son[a-z]+=").matcher(html).find()).as("inline style or handler in " + page).isFalse();
        assertThat(html).as("every slot of the layout filled").doesNotContain("{{");
    }

    /**
     * The layout around each page: the skip link first in the body, to the page's content; the one nav of every page with
     * only the page itself current; exactly one main; the key dialog on the pages that call the keyed API.
     */
    @ParameterizedTest
    @MethodSource("pages")
    void everyPageHasTheSharedLayoutWithItsOwnNavEntryCurrent(WebUi.Page page, String html) {
        assertThat(html).startsWith("<!doctype html>").contains("<title>" + page.title() + "</title>");
        assertThat(html.substring(html.indexOf("<body>") + 6).strip()).startsWith("<!--")
                .contains("-->\n<a class=\"skip noZensmooth\" href=\"#content\">Skip to content</a>");
        assertThat(count(html, "id=\"content\"")).isEqualTo(1);
        assertThat(count(html, "<main")).isEqualTo(1);
        assertThat(html).contains("<nav aria-label=\"pages\"><a href=\"/\"").contains(">Playground</a>").contains(">Dashboard</a>")
                .contains("<a href=\"/runs\"").contains(">API docs</a>");
        assertThat(count(html, "aria-current")).isEqualTo(1);
        assertThat(html).contains("<a href=\"" + page.path() + "\" aria-current=\"page\">" + page.label() + "</a>");
        assertThat(count(html, "<dialog id=\"key-dialog\"")).isEqualTo(page.keyed() ? 1 : 0);
        page.head().forEach(tag -> assertThat(html).contains(tag));
    }

    private static int count(String s, String part) {
        return s.split(Pattern.quote(part), -1).length - 1;
    }

    @Test
    void theServedPagesAreTheAssembledOnes() throws Exception {
        for (WebUi.Page p : WebUi.pages(WebUi.DASHBOARD)) {
            HttpResponse<String> r = get(p.path());
            assertThat(r.statusCode()).as(p.path()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
            assertThat(r.headers().firstValue("Content-Security-Policy").orElse("")).isEqualTo(WebUi.CSP);
            assertThat(r.body()).isEqualTo(WebUi.render(p, WebUi.pages(WebUi.DASHBOARD)));
        }
        assertThat(get("/ui/index.html").statusCode()).as("page parts are not files").isEqualTo(404);
    }

    @Test
    void staticFilesHaveTheirTypesAndOnlyKnownNamesAreServed() throws Exception {
        assertThat(get("/ui/playground.js").headers().firstValue("Content-Type").orElse("")).startsWith("text/javascript");
        assertThat(get("/ui/style.css").headers().firstValue("Content-Type").orElse("")).startsWith("text/css");
        assertThat(get("/ui/nothing.js").statusCode()).isEqualTo(404);
        assertThat(get("/ui/..%2FWebUi.class").statusCode()).isEqualTo(404);
        assertThat(get("/ui/WebUi.class").statusCode()).isEqualTo(404);
    }

    @Test
    void thePageNeedsNoKeyButTheApiStillDoes() throws Exception {
        assertThat(get("/").statusCode()).isEqualTo(200);
        assertThat(get("/v1/models").statusCode()).isEqualTo(401);
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(401); // only GET is public
    }

    /** The pages follow the server's Host rule (against DNS rebinding): a foreign name gets 403, a loopback one the page. */
    @Test
    void theHostRuleAppliesToThePages() throws Exception {
        assertThat(rawGet("/", "evil.example")).startsWith("HTTP/1.1 403");
        assertThat(rawGet("/ui/playground.js", "evil.example")).startsWith("HTTP/1.1 403");
        assertThat(rawGet("/", "localhost")).startsWith("HTTP/1.1 200");
    }

    /** A GET with a chosen Host header (java.net.http refuses to set Host). */
    private static String rawGet(String path, String host) throws Exception {
        URI u = URI.create(base);
        try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
