package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's {@code chromium} driven headless by its {@code chromium-driver}, for the web pages' tests: both found on
 * the PATH's usual places (or {@code SMELT_CHROMIUM} / {@code SMELT_CHROMEDRIVER}), never downloaded. Without them
 * the calling test is skipped with a message naming the packages. A fresh profile per browser; closing quits the
 * browser and deletes the profile. Also what every page test does with it (the server and router modules' browser tests
 * share it through this test-jar): wait for a condition, start as a new visitor, open a page and answer its key prompt,
 * check the console, read a table. Not thread-safe (one test class drives it).
 */
public final class HeadlessChromium implements AutoCloseable {
    /** What to install when the browser is missing (CI's .ci/run does this as root). */
    public static final String PACKAGES = "apt-get install -y chromium chromium-driver";
    private static final List<String> BROWSERS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium");
    private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

    /** Generous: CI has two loaded cores; waits end as soon as the condition holds. */
    public static final Duration WAIT = Duration.ofSeconds(90);
    private final ChromeDriver driver;
    private final Path profile;

    private HeadlessChromium(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** Starts a headless browser, or skips the test (JUnit assumption) when chromium or its driver is not installed. */
    public static HeadlessChromium startOrSkip() throws IOException {
        String browser = find("SMELT_CHROMIUM", BROWSERS);
        String driverExe = find("SMELT_CHROMEDRIVER", DRIVERS);
        if (browser == null || driverExe == null) {
            String why = "browser tests skipped: chromium and chromium-driver are not installed (Debian: " + PACKAGES + ")";
            System.err.println(why); // a class skipped in @BeforeAll shows as "Tests run: 0": say why where it is seen
            Assumptions.abort(why);
        }
        Path profile = Files.createTempDirectory("smelt-chromium-");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(browser);
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions", "--window-size=1280,900",
                "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL); // the console: CSP violations and script errors show there
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driverExe)).usingAnyFreePort().build();
        ChromeDriver d = new ChromeDriver(service, o);
        d.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return new HeadlessChromium(d, profile);
    }

    private static String find(String env, List<String> places) {
        String e = System.getenv(env);
        if (e != null && !e.isBlank()) {
            return Files.isExecutable(Path.of(e)) ? e : null;
        }
        return places.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** The console messages since the last call that are errors (script errors, CSP violations, failed loads). */
    public List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream().filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(e -> e.getMessage()).toList();
    }

    /** A wait of {@link #WAIT} on this browser. */
    public WebDriverWait waiting() {
        return new WebDriverWait(driver, WAIT);
    }

    /** Clears the tab's key (a page of the same origin {@code base} must be open to reach its sessionStorage): a new visitor. */
    public void forgetKey(String base) {
        driver.get(base + "/health");
        driver.executeScript("sessionStorage.clear()");
    }

    /** Opens {@code url} and answers its key prompt (which the page's first keyed request opens) with {@code key}. */
    public void openWithKey(String url, String key) {
        driver.get(url);
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key"))).sendKeys(key);
        driver.findElement(By.cssSelector("#key-form button[type=submit]")).click();
    }

    /**
     * Fails when the console logged a Content-Security-Policy violation or a script error since the last read. The 401s of
     * requests made before the key was given (the key prompt's probes) are expected: the browser logs them as failed loads.
     */
    public void assertNoConsoleErrors() {
        List<String> errors = consoleErrors().stream().filter(m -> !m.contains("401 (Unauthorized)")).toList();
        assertThat(errors).as("console errors (CSP violations, script errors)").isEmpty();
    }

    /**
     * Keyboard only, from the top of the open page (nothing focused): the first Tab stop is "Skip to content", and Enter on it
     * moves focus to the page's content ({@code #content}), past the nav.
     */
    public void assertSkipLinkLeadsToContent() {
        new Actions(driver).sendKeys(Keys.TAB).perform();
        assertThat(driver.switchTo().activeElement().getText()).as("the first Tab stop").isEqualTo("Skip to content");
        new Actions(driver).sendKeys(Keys.ENTER).perform();
        waiting().withMessage(() -> "focus after Enter on the skip link is not in #content but on "
                + driver.executeScript("return document.activeElement.outerHTML.slice(0, 120)"))
                .until(x -> Boolean.TRUE.equals(driver.executeScript("return document.getElementById('content').contains(document.activeElement)")));
    }

    /** The cells' text of the rows of the table body {@code #id}, read in one script (the page may redraw it between two calls). */
    @SuppressWarnings("unchecked")
    public List<List<String>> rows(String id) {
        return (List<List<String>>) driver.executeScript("return [...document.querySelectorAll('#' + arguments[0] + ' tr')]"
                + ".map(tr => [...tr.cells].map(td => td.textContent))", id);
    }

    /** Writes a PNG of the page to {@code target/webui/NAME.png} for review. */
    public Path screenshot(String name) throws IOException {
        Path dir = Path.of("target", "webui");
        Files.createDirectories(dir);
        Path out = dir.resolve(name + ".png");
        Files.write(out, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        return out;
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
