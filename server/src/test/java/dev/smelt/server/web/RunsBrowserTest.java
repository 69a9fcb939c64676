package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The Runs page in a real headless chromium against {@code smelt serve --runs DIR} with an API key, over a folder written by
 * smelt's own writers ({@link RunsFixture}: a real tiny finetune, an MLflow run, two eval results, two corrupt runs): the
 * list, a run's charts, config and files, a bad run's error, the side-by-side comparison, the report, and names and labels
 * with markup shown as text. Screenshots go to {@code target/webui/}. Skipped, naming the packages, without chromium.
 */
class RunsBrowserTest extends ServerBrowserTest {
    private static final String KEY = "sk-runs-browser";
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        startWith(() -> {
            Path root = RunsFixture.write(Files.createDirectories(tmp.resolve("runs")));
            ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(KEY), false, List.of(), 1, 1, 256, 4, Duration.ofMinutes(5), false);
            ModelRegistry reg = new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg), cfg.keepAlive());
            return new SmeltServer(cfg, reg, Clock.systemUTC()).enableRuns(root);
        });
    }

    /** Opens the Runs page, answers the key prompt and waits for the list. */
    private void openRuns() {
        browser.openWithKey(base + "/runs", KEY);
        waiting().until(x -> ((Number) d.executeScript("return window.smeltRuns.runs")).intValue() == 7);
    }

    private WebElement runRow(String path) {
        return d.findElements(By.cssSelector("#runs tr")).stream().filter(tr -> tr.getText().contains(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + path + " in " + d.findElement(By.id("runs")).getText()));
    }

    private void openRun(String path) {
        runRow(path).findElement(By.cssSelector("button")).click();
        waiting().until(x -> d.findElement(By.id("run-path")).getText().equals(path));
    }

    private void noMarkupFromData() {
        assertThat(d.findElements(By.cssSelector("main img"))).as("markup from names and labels became elements").isEmpty();
        assertThat(d.executeScript("return document.querySelectorAll('[onerror]').length")).isEqualTo(0L);
    }

    @Test
    void listsRunsAndDrawsTheFinetuneCurvesWithConfigAndAdapterFiles() throws Exception {
        openRuns();
        assertThat(d.findElements(By.cssSelector("#runs tr"))).hasSize(7);
        assertThat(d.findElement(By.id("runs")).getText()).contains(RunsFixture.MLFLOW_NAME); // markup in a run name, as text
        openRun(RunsFixture.FINETUNE);
        waiting().until(x -> ((Number) d.executeScript("return window.smeltRuns.charts")).intValue() >= 2);
        assertThat(d.findElements(By.cssSelector("#run-charts canvas"))).hasSizeGreaterThanOrEqualTo(2);
        assertThat(d.findElements(By.cssSelector("#run-charts h3")).stream().map(WebElement::getText).toList()).contains("Loss", "Learning rate");
        assertThat(d.findElement(By.id("run-config")).getText()).contains("lora_r").contains("learning_rate");
        assertThat(d.findElement(By.id("run-files")).getText()).contains("adapter_model.safetensors").contains("adapter.gguf")
                .contains("metrics.csv");
        assertThat(d.findElement(By.id("run-errors")).getText()).isEmpty();
        noMarkupFromData();
        assertThat(Accessibility.violations(d)).as("runs page with a run open: WCAG 2 A/AA violations (axe-core)").isEmpty();
        d.executeScript("document.getElementById('run').scrollIntoView()");
        browser.screenshot("runs-finetune");

        String mlflow = (String) d.executeScript("return [...document.querySelectorAll('#runs small')].map(e => e.textContent)"
                + ".find(t => t.startsWith('tracking/mlruns/0/'))");
        openRun(mlflow);
        assertThat(d.findElement(By.id("run-title")).getText()).startsWith(RunsFixture.MLFLOW_NAME);
        assertThat(d.findElement(By.id("run-config")).getText()).contains(RunsFixture.XSS);
        waiting().until(x -> d.findElements(By.cssSelector("#run-charts canvas")).size() >= 2);
        noMarkupFromData();
    }

    @Test
    void aCorruptRunShowsItsErrorAndTheRestStillWorks() {
        openRuns();
        assertThat(runRow("broken").getText()).contains("error: metrics.csv: line 3: loss 'oops' is not a number");
        assertThat(runRow("bad-eval").getText()).contains("error: result.json: malformed JSON");
        d.findElement(By.id("filter")).sendKeys("eval");
        assertThat(d.findElements(By.cssSelector("#runs tr")).stream().filter(WebElement::isDisplayed).count()).isEqualTo(3); // base, tuned, bad-eval
        d.findElement(By.id("filter")).clear();
        d.executeScript("document.getElementById('filter').dispatchEvent(new Event('input'))");
        openRun("broken");
        assertThat(d.findElement(By.id("run-errors")).getText()).contains("metrics.csv: line 3");
        openRun(RunsFixture.EVAL_A);
        assertThat(d.findElement(By.id("run-errors")).getText()).isEmpty();
        assertThat(d.findElement(By.id("run-eval")).getText()).contains("accuracy").contains("0.6000");
    }

    @Test
    void comparesTwoEvalResultsSideBySide() throws Exception {
        openRuns();
        assertThat(d.findElement(By.id("compare-a")).getText()).contains(RunsFixture.EVAL_A + " — model " + RunsFixture.XSS);
        d.findElement(By.cssSelector("#compare-form button[type=submit]")).click();
        waiting().until(x -> ((Number) d.executeScript("return window.smeltRuns.compared")).intValue() == 1);
        List<WebElement> rows = d.findElements(By.cssSelector("#compare-metrics tbody tr"));
        assertThat(rows.getFirst().findElements(By.cssSelector("th, td")).stream().map(WebElement::getText).toList())
                .containsExactly("accuracy", "0.6000", "0.8000", "+0.2000 ▲ B better");
        List<String> labels = d.findElements(By.cssSelector("#compare-per-class tbody th")).stream().map(WebElement::getText).toList();
        assertThat(labels).containsExactlyElementsOf(RunsFixture.LABELS); // the markup label is text
        noMarkupFromData();
        d.executeScript("document.getElementById('compare-title').scrollIntoView()");
        browser.screenshot("runs-compare");
    }

    @Test
    void withoutRunsThePageSaysHowToStartItAndLogsNoError() {
        ServerConfig cfg = new ServerConfig("127.0.0.1", 0, List.of(), false, List.of(), 1, 1, 256, 4, Duration.ofMinutes(5), false);
        SmeltServer plain = new SmeltServer(cfg, new ModelRegistry(List.of(), Map.of(), new GgufModelLoader(Map.of(), cfg), cfg.keepAlive()),
                Clock.systemUTC());
        try {
            d.get("http://127.0.0.1:" + plain.start() + "/runs");
            waiting().until(x -> d.findElement(By.id("runs-status")).getText().contains("start it with --runs DIR"));
            assertThat(d.findElement(By.cssSelector("#compare-form button[type=submit]")).isEnabled()).isFalse();
            browser.assertSkipLinkLeadsToContent();
        } finally {
            plain.close(Duration.ZERO);
        }
    }

    @Test
    void anEvalRunLinksItsReportWhichOpensWithTheKey() throws Exception {
        openRuns();
        openRun(RunsFixture.EVAL_B);
        WebElement link = d.findElement(By.linkText("report.html"));
        assertThat(link.getAttribute("href")).contains("/files/report.html");
        String page = d.getWindowHandle();
        link.click();
        waiting().until(x -> d.getWindowHandles().size() == 2);
        String report = d.getWindowHandles().stream().filter(h -> !h.equals(page)).findFirst().orElseThrow();
        d.switchTo().window(report);
        waiting().until(x -> d.getTitle().equals("smelt eval: intents"));
        assertThat(d.findElement(By.cssSelector("table.errors")).getText()).contains("input 8 " + RunsFixture.XSS);
        assertThat(d.findElements(By.cssSelector("img"))).isEmpty();
        waiting().until(x -> "collapse".equals(d.executeScript("return getComputedStyle(document.querySelector('table')).borderCollapse")));
        browser.screenshot("runs-report");
        d.close();
        d.switchTo().window(page);
        browser.consoleErrors(); // the report tab's <style> is refused under the page's policy (a blob inherits it; its CSS comes via the CSSOM)
    }
}
