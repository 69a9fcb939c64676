package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import dev.smelt.testkit.SharedData;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The playground, dashboard and API docs in a real headless chromium against the real server (the trained reference
 * model, API keys set): streaming, stop, schema mode, XSS as text, the key prompt, live charts. Screenshots go to
 * {@code target/webui/}. Skipped, naming the packages, without chromium and chromium-driver.
 */
class WebPagesBrowserTest extends ServerBrowserTest {
    private static final String KEY = "sk-browser";
    private static final ObjectMapper M = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        startWith(() -> {
            ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(KEY), false, List.of(), 2, 2, 1536, 4, Duration.ofMinutes(5), false);
            ModelRegistry reg = new ModelRegistry(List.of("shakespeare", "bard"), Map.of(),
                    new GgufModelLoader(Map.of("shakespeare", SharedData.model("shakespeare.gguf"), "bard", SharedData.model("shakespeare.gguf")), cfg), cfg.keepAlive());
            return new SmeltServer(cfg, reg, Clock.systemUTC());
        });
    }

    /** Opens a page and answers its key prompt with {@code key}. */
    private void open(String path, String key) {
        browser.openWithKey(base + path, key);
    }

    private void openPlayground() {
        open("/", KEY);
        waiting().until(x -> !new Select(d.findElement(By.id("model"))).getOptions().isEmpty());
    }

    private void set(String id, String value) {
        WebElement e = d.findElement(By.id(id));
        e.clear();
        e.sendKeys(value);
    }

    private void send(String prompt) {
        d.findElement(By.cssSelector("textarea[name=prompt]")).sendKeys(prompt);
        d.findElement(By.cssSelector("button[type=submit]")).click();
    }

    private String status() {
        return d.findElement(By.id("status")).getText();
    }

    private WebElement lastAssistant() {
        List<WebElement> all = d.findElements(By.cssSelector(".message.assistant"));
        return all.get(all.size() - 1);
    }

    @Test
    void theKeyPromptAppearsAndAWrongKeyIsRefused() throws Exception {
        open("/", "not-the-key");
        waiting().until(ExpectedConditions.textToBe(By.id("key-error"), "That key was refused; try another."));
        assertThat(d.findElement(By.id("key-dialog")).isDisplayed()).isTrue();
        browser.screenshot("key-prompt");
        // the console is captured (so noConsoleErrors can fail): the refused probes are there
        assertThat(browser.consoleErrors()).anyMatch(m -> m.contains("/v1/models") && m.contains("401"));
        d.findElement(By.id("api-key")).sendKeys(KEY);
        d.findElement(By.cssSelector("#key-form button[type=submit]")).click();
        waiting().until(x -> !new Select(d.findElement(By.id("model"))).getOptions().isEmpty());
        assertThat(new Select(d.findElement(By.id("model"))).getFirstSelectedOption().getText()).isEqualTo("shakespeare");
        assertThat(d.executeScript("return sessionStorage.getItem('smelt.apiKey')")).isEqualTo(KEY);
    }

    @Test
    void aPromptGetsAStreamedAnswerWithItsTimings() throws Exception {
        openPlayground();
        set("temperature", "0");
        set("max_tokens", "24");
        send("ROMEO:");
        waiting().until(x -> status().startsWith("done"));
        String text = lastAssistant().findElement(By.className("content")).getText();
        assertThat(text).isNotBlank();
        assertThat(lastAssistant().findElement(By.className("stats")).getText()).matches("\\d+ tokens · TTFT \\d+ ms · .*");
        assertThat(d.findElements(By.cssSelector(".message.user")).get(0).getText()).contains("ROMEO:");
        browser.screenshot("playground");
        // regenerate with the same greedy settings: the same answer again, in place of the old one
        d.findElement(By.id("regenerate")).click();
        waiting().until(x -> status().startsWith("done") && d.findElements(By.cssSelector(".message.assistant")).size() == 1
                && !lastAssistant().findElements(By.className("stats")).isEmpty());
        assertThat(lastAssistant().findElement(By.className("content")).getText()).isEqualTo(text);
    }

    @Test
    void switchingModelsSendsToTheChosenOneAndTheExportsHoldTheConversation() throws Exception {
        openPlayground();
        new Select(d.findElement(By.id("model"))).selectByValue("bard");
        set("system", "You are a poet.");
        set("temperature", "0");
        set("max_tokens", "8");
        d.findElement(By.cssSelector("textarea[name=prompt]")).sendKeys("JULIET:", Keys.ENTER); // keyboard only: Enter sends
        waiting().until(x -> status().startsWith("done"));
        assertThat(lastAssistant().findElement(By.className("role")).getText()).isEqualTo("Model · bard");
        String answer = lastAssistant().findElement(By.className("content")).getText();
        String jsonl = (String) d.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "import('/ui/playground.js').then(m => done(m.exportJsonl()));");
        assertThat(jsonl.lines().count()).isEqualTo(1);
        JsonNode messages = M.readTree(jsonl).path("messages");
        assertThat(messages.findValuesAsText("role")).containsExactly("system", "user", "assistant");
        assertThat(messages.get(0).path("content").asText()).isEqualTo("You are a poet.");
        assertThat(messages.get(1).path("content").asText()).isEqualTo("JULIET:");
        assertThat(messages.get(2).path("content").asText().strip()).isEqualTo(answer.strip());
        String json = (String) d.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "import('/ui/playground.js').then(m => done(JSON.stringify(m.exportMessages())));");
        assertThat(M.readTree(json)).isEqualTo(messages);
        // edit: the message goes back to the prompt box and the turns from it on are dropped
        d.findElement(By.cssSelector(".message.user .edit")).click();
        assertThat(d.findElement(By.cssSelector("textarea[name=prompt]")).getAttribute("value")).isEqualTo("JULIET:");
        assertThat(d.findElements(By.cssSelector(".message"))).isEmpty();
    }

    @Test
    void aRequiredToolCallIsShownAndExported() throws Exception {
        openPlayground();
        set("tools", "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"weather in a city\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"enum\":[\"Paris\",\"Rome\"]}},"
                + "\"required\":[\"city\"]}}}]");
        new Select(d.findElement(By.id("tool_choice"))).selectByValue("required");
        set("max_tokens", "60");
        send("What is the weather in Paris?");
        waiting().until(x -> status().startsWith("done"));
        String text = lastAssistant().findElement(By.className("content")).getText();
        assertThat(text).matches("(?s).*tool call: get_weather\\(\\{\\s*\"city\"\\s*:\\s*\"(Paris|Rome)\"\\s*}\\).*");
        String json = (String) d.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "import('/ui/playground.js').then(m => done(JSON.stringify(m.exportMessages())));");
        JsonNode call = M.readTree(json).get(1).path("tool_calls").get(0);
        assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(M.readTree(call.path("function").path("arguments").asText()).path("city").asText()).isIn("Paris", "Rome");
    }

    @Test
    void stopEndsTheStreamMidway() {
        openPlayground();
        // an array of at least 1000 items cannot end before max_tokens: the answer is still streaming when stop is clicked
        d.findElement(By.id("schema-mode")).click();
        set("schema", "{\"type\":\"array\",\"items\":{\"enum\":[\"la\"]},\"minItems\":1000}");
        set("max_tokens", "1400");
        send("Sing.");
        waiting().until(x -> !lastAssistant().findElement(By.className("content")).getText().isEmpty());
        d.findElement(By.id("stop")).click();
        waiting().until(x -> status().equals("stopped"));
        String stats = lastAssistant().findElement(By.className("stats")).getText();
        int tokens = Integer.parseInt(stats.substring(0, stats.indexOf(' ')));
        assertThat(tokens).as(stats).isLessThan(1400);
        assertThat(d.findElement(By.id("stop")).isEnabled()).isFalse();
    }

    @Test
    void schemaModeGivesJsonThatIsCheckedAgainstTheSchema() throws Exception {
        openPlayground();
        d.findElement(By.id("schema-mode")).click();
        set("schema", "{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\",\"enum\":[\"yes\",\"no\"]}},\"required\":[\"answer\"]}");
        set("max_tokens", "40");
        set("seed", "1"); // fixed: with a random seed the answer was once cut (max_tokens) before its JSON closed
        send("Is this a question?");
        waiting().until(x -> status().startsWith("done"));
        String text = lastAssistant().findElement(By.className("content")).getText();
        JsonNode v = M.readTree(text);
        assertThat(v.path("answer").asText()).isIn("yes", "no");
        assertThat(lastAssistant().findElement(By.className("check")).getText()).isEqualTo("valid JSON matching the schema");
    }

    @Test
    void markupInUserTextAndModelOutputIsShownAsText() throws Exception {
        openPlayground();
        String attack = "<img src=x onerror=window.__xss=1> [click](javascript:window.__xss=2)";
        d.findElement(By.id("schema-mode")).click();
        // the schema forces the model to write the attack itself: model output with markup, not just user text
        set("schema", M.createObjectNode().put("type", "string").set("enum", M.createArrayNode().add(attack)).toString());
        set("max_tokens", "80");
        send(attack);
        waiting().until(x -> status().startsWith("done"));
        assertThat(d.findElements(By.cssSelector(".message.user .content")).get(0).getText()).isEqualTo(attack);
        assertThat(lastAssistant().findElement(By.className("content")).getText()).isEqualTo(M.writeValueAsString(attack));
        assertThat(d.findElements(By.cssSelector("#messages img, #messages a"))).isEmpty();
        assertThat(((JavascriptExecutor) d).executeScript("return window.__xss === undefined")).isEqualTo(true);
        browser.screenshot("xss-as-text");
    }

    @Test
    void theDashboardChartsMoveUnderLoad() throws Exception {
        open("/dashboard", KEY);
        waiting().until(x -> ((Number) d.executeScript("return window.smeltDashboard.samples")).intValue() >= 2);
        long before = ((Number) d.executeScript("return window.smeltDashboard.last.generated_tokens")).longValue();
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 3; i++) { // a little load: three short greedy completions
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"shakespeare\",\"prompt\":\"ROMEO:\",\"max_tokens\":40,\"temperature\":0}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        waiting().until(x -> ((Number) d.executeScript("return window.smeltDashboard.maxTokensPerSecond")).doubleValue() > 0);
        waiting().until(ExpectedConditions.textToBe(By.id("health"), "healthy"));
        assertThat(d.findElement(By.id("models")).getText()).contains("shakespeare");
        browser.assertSkipLinkLeadsToContent();
        assertThat(((Number) d.executeScript("return window.smeltDashboard.last.generated_tokens")).longValue()).isGreaterThan(before);
        browser.screenshot("dashboard");
    }

    /** The key prompt, the playground with a conversation, and the live dashboard pass axe-core's WCAG 2 A/AA rules. */
    @Test
    void everyPagePassesTheWcag2AAndAaRules() {
        d.get(base + "/");
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(Accessibility.violations(d)).as("key prompt: WCAG 2 A/AA violations (axe-core)").isEmpty();
        d.findElement(By.id("api-key")).sendKeys(KEY);
        d.findElement(By.cssSelector("#key-form button[type=submit]")).click();
        waiting().until(x -> !new Select(d.findElement(By.id("model"))).getOptions().isEmpty());
        set("temperature", "0");
        set("max_tokens", "8");
        send("ROMEO:");
        waiting().until(x -> status().startsWith("done"));
        assertThat(Accessibility.violations(d)).as("playground: WCAG 2 A/AA violations (axe-core)").isEmpty();
        d.get(base + "/dashboard");
        waiting().until(x -> ((Number) d.executeScript("return window.smeltDashboard.samples")).intValue() >= 2);
        assertThat(Accessibility.violations(d)).as("dashboard: WCAG 2 A/AA violations (axe-core)").isEmpty();
    }

    /** The check is not vacuous: a control without a label and low-contrast text on a page are found. */
    @Test
    void theAccessibilityCheckFindsAnUnlabelledControlAndLowContrast() {
        d.get(base + "/docs"); // any page of ours; the broken elements are added by the test
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("swagger-ui")));
        d.executeScript("const i = document.createElement('input'); i.type = 'text'; document.body.prepend(i);"
                + "const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#ccc'; document.body.prepend(p);");
        List<String> v = Accessibility.violations(d);
        assertThat(v).anyMatch(s -> s.startsWith("label "));
        assertThat(v).anyMatch(s -> s.startsWith("color-contrast "));
    }

    /**
     * Keyboard only: the key prompt takes focus; once it is answered, the first Tab stop is "Skip to content", which takes
     * Enter to the conversation, and the next Tab is the message box, where Enter sends.
     */
    @Test
    void theKeyboardAloneGetsAnAnswer() throws Exception {
        d.get(base + "/");
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        waiting().until(x -> "api-key".equals(d.switchTo().activeElement().getAttribute("id")));
        new Actions(d).sendKeys(KEY).sendKeys(Keys.ENTER).perform();
        waiting().until(x -> !new Select(d.findElement(By.id("model"))).getOptions().isEmpty());
        new Actions(d).sendKeys(Keys.TAB).perform();
        WebElement skip = d.switchTo().activeElement();
        assertThat(skip.getText()).as("the first Tab stop").isEqualTo("Skip to content");
        assertThat(skip.getRect().getY()).as("the skip link is on screen once focused").isGreaterThanOrEqualTo(0);
        browser.screenshot("skip-link");
        new Actions(d).sendKeys(Keys.ENTER).perform();
        waiting().until(x -> "content".equals(d.switchTo().activeElement().getAttribute("id")));
        new Actions(d).sendKeys(Keys.TAB).perform();
        assertThat(d.switchTo().activeElement().getAttribute("id")).as("one Tab after the skip link").isEqualTo("prompt");
        new Actions(d).sendKeys("ROMEO:").sendKeys(Keys.ENTER).perform();
        waiting().until(x -> status().startsWith("done"));
        assertThat(lastAssistant().findElement(By.className("content")).getText()).isNotBlank();
        assertThat(d.findElements(By.cssSelector(".message.user")).get(0).getText()).contains("ROMEO:");
        assertThat(d.findElement(By.id("messages")).getAttribute("aria-busy")).as("the answer is announced once done").isEqualTo("false");
        browser.screenshot("keyboard-only");
    }

    @Test
    void theApiDocsShowTheOpenApiDocument() throws Exception {
        d.get(base + "/docs");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#swagger-ui .opblock")));
        assertThat(d.findElement(By.id("swagger-ui")).getText()).contains("/v1/chat/completions");
        browser.assertSkipLinkLeadsToContent();
        browser.screenshot("docs");
    }
}
