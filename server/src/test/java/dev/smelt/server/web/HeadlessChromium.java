package dev.smelt.server.web;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's {@code chromium} driven headless by its {@code chromium-driver}, for the web pages' tests: both found on
 * the PATH's usual places (or {@code SMELT_CHROMIUM} / {@code SMELT_CHROMEDRIVER}), never downloaded. Without them
 * the calling test is skipped with a message naming the packages. A fresh profile per browser; closing quits the
 * browser and deletes the profile. Not thread-safe (one test class drives it).
 */
public final class HeadlessChromium implements AutoCloseable {
    /** What to install when the browser is missing (CI's .ci/run does this as root). */
    public static final String PACKAGES = "apt-get install -y chromium chromium-driver";
    private static final List<String> BROWSERS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium");
    private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

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
