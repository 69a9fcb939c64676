package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.smelt.client.Canonical;
import dev.smelt.server.http.ApiKeys;
import dev.smelt.server.http.HttpSettings;
import dev.smelt.server.web.Accessibility;
import dev.smelt.server.web.HeadlessChromium;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * smelt route's router dashboard in a real headless chromium: a router file whose two targets are local OpenAI-style
 * stand-in servers (a "small" one whose confidence is low for prompts containing "hard", a priced "teacher"), served
 * exactly as {@code smelt route} serves it (router file → {@link RouterConfig} → {@link RouterServer}, API key set).
 * After N requests the page shows the realized teacher share and the requests per target that the answers' headers
 * report; a prompt with markup shows as text in the escalations table; the page passes axe-core's WCAG 2 A/AA rules.
 * Screenshot: {@code target/webui/router-dashboard.png}. Skipped, naming the packages, without chromium.
 */
class RouterDashboardBrowserTest {
    private static final String KEY = "sk-route-browser";
    private static final int N = 12;
    private static final String ATTACK = "hard <img src=x onerror=window.__xss=1> [x](javascript:window.__xss=2)";
    private static final double LOW = 0.2, HIGH = 0.95;

    @TempDir
    static Path dir;
    private static HttpServer standIns;
    private static HeadlessChromium browser;
    private static RouterServer server;
    private static Router router;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        browser = HeadlessChromium.startOrSkip();
        standIns = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        standIns.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        standIns.createContext("/small/v1/chat/completions", ex -> answer(ex, "ok", 10, 2, true));
        standIns.createContext("/teacher/v1/chat/completions", ex -> answer(ex, "the teacher's answer", 100, 10, false));
        standIns.start();
        String stand = "http://127.0.0.1:" + standIns.getAddress().getPort();
        Path file = dir.resolve("router.yaml");
        Files.writeString(file, """
                targets:
                  small: {type: openai, url: %s/small/v1, model: small, retries: 0}
                  teacher: {type: openai, url: %s/teacher/v1, model: teacher, retries: 0, price_in: 1.0, price_out: 2.0}
                policy: {type: cascade, weak: small, strong: teacher, min_confidence: 0.5}
                budget_share: 0.5
                budget_window: 10
                """.formatted(stand, stand));
        router = RouterConfig.load(file).build(StandardTargets.factories(HttpClient.newHttpClient(), k -> null), null, Map.of());
        server = new RouterServer(router, new HttpSettings("127.0.0.1", 0, ApiKeys.of(List.of(KEY), "test"), false, List.of(), List.of(), false),
                "router", Clock.systemUTC());
        base = "http://127.0.0.1:" + server.start();
    }

    /**
     * A stand-in chat completion: {@code text}, with a logprob (confidence) for the small target — low when the last
     * user message contains "hard" — and usage for the prices.
     */
    private static void answer(HttpExchange ex, String text, int in, int out, boolean withConfidence) throws IOException {
        try (ex) {
            JsonNode req = Canonical.JSON.readTree(ex.getRequestBody());
            JsonNode msgs = req.path("messages");
            String prompt = msgs.get(msgs.size() - 1).path("content").asText();
            ObjectNode r = Canonical.JSON.createObjectNode().put("id", "x").put("object", "chat.completion").put("model", "m");
            ObjectNode choice = r.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
            choice.putObject("message").put("role", "assistant").put("content", text);
            if (withConfidence) {
                choice.putObject("logprobs").putArray("content").addObject().put("token", text)
                        .put("logprob", Math.log(prompt.contains("hard") ? LOW : HIGH)).putArray("top_logprobs");
            }
            r.putObject("usage").put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
            byte[] body = r.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (router != null) {
                router.close();
            }
            if (standIns != null) {
                standIns.stop(0);
            }
        }
    }

    @Test
    void showsTheRealizedShareAndRequestsPerTargetAfterNRequestsWithPromptsAsText() throws Exception {
        ChromeDriver d = browser.driver();
        WebDriverWait wait = browser.waiting();
        browser.openWithKey(base + "/dashboard", KEY);
        wait.until(x -> ((Number) d.executeScript("return window.smeltRouter.samples")).intValue() >= 1);
        assertThat(d.findElement(By.id("requests-total")).getText()).isEqualTo("0");

        HttpClient http = HttpClient.newHttpClient();
        int teacher = 0;
        for (int i = 0; i < N; i++) {
            String prompt = i == N - 1 ? ATTACK : (i % 2 == 0 ? "easy question " : "hard question ") + i;
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Canonical.JSON.createObjectNode().set("messages", Canonical.JSON.createArrayNode()
                            .add(Canonical.JSON.createObjectNode().put("role", "user").put("content", prompt))).toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            teacher += r.headers().firstValue("X-Smelt-Target").orElseThrow().equals("teacher") ? 1 : 0;
        }
        // every hard prompt (half of them) escalates: exactly the budget of 50%, so the cap never holds one back
        assertThat(teacher).isEqualTo(N / 2);

        wait.until(ExpectedConditions.textToBe(By.id("requests-total"), String.valueOf(N)));
        String share = String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * teacher / N);
        assertThat(d.findElement(By.id("share-cumulative")).getText()).isEqualTo(share);
        assertThat(d.findElement(By.id("strong-calls")).getText()).isEqualTo(String.valueOf(teacher));
        assertThat(d.findElement(By.id("share-target")).getText()).isEqualTo("50.0% (budget mode)");
        // the last 10 requests (the window): the share the budget holds, at or below it
        assertThat(d.findElement(By.id("share-window-size")).getText()).isEqualTo("10");
        assertThat(Double.parseDouble(d.findElement(By.id("share-window")).getText().replace("%", ""))).isLessThanOrEqualTo(50.0);
        assertThat(browser.rows("targets")).contains(List.of("small", String.valueOf(N - teacher), String.format(java.util.Locale.ROOT, "%.1f%%",
                100.0 * (N - teacher) / N)), List.of("teacher", String.valueOf(teacher), share));
        assertThat(browser.rows("reasons")).contains(List.of("low confidence", String.valueOf(teacher)));
        assertThat(((Number) d.executeScript("return window.smeltRouter.points")).intValue()).isEqualTo(N);
        assertThat(d.findElement(By.id("cost-total")).getText()).startsWith("$");
        assertThat(d.findElements(By.cssSelector("nav a")).stream().map(WebElement::getText).toList()) // the same nav as smelt serve's
                .containsExactly("Playground", "Dashboard", "Runs", "API docs");
        assertThat(d.findElement(By.cssSelector("nav a[aria-current=page]")).getText()).isEqualTo("Dashboard");

        // the attack prompt escalated (it is "hard", and half of the last window went to the teacher): text, never markup
        List<String> newest = browser.rows("escalated").get(0);
        assertThat(newest.get(0)).isEqualTo(String.valueOf(N));
        assertThat(newest.get(2)).isEqualTo(ATTACK);
        assertThat(newest.get(3)).isEqualTo("small → teacher");
        assertThat(newest.get(4)).isEqualTo("low confidence");
        assertThat(newest.get(5)).isEqualTo(String.format(java.util.Locale.ROOT, "%.3f", LOW));
        assertThat(d.findElements(By.cssSelector("main img, main a"))).isEmpty();
        assertThat(d.executeScript("return window.__xss === undefined")).isEqualTo(true);
        assertThat(Accessibility.violations(d)).as("WCAG 2 A/AA violations (axe-core)").isEmpty();
        browser.screenshot("router-dashboard");
        browser.assertSkipLinkLeadsToContent();
        browser.assertNoConsoleErrors();
    }
}
