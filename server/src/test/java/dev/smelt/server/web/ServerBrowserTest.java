package dev.smelt.server.web;

import dev.smelt.server.SmeltServer;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the server's page tests share: a headless chromium and a {@link SmeltServer}, started once per class (the subclass's
 * {@code @BeforeAll} calls {@link #startWith}) and closed after it; each test starts as a new visitor (no key in the tab)
 * and ends with no CSP violation or script error in the console. Skipped, naming the packages, without chromium. Test
 * classes run one at a time (the fields are static).
 */
abstract class ServerBrowserTest {
    static HeadlessChromium browser;
    static SmeltServer server;
    /** The server's address, {@code http://127.0.0.1:PORT}. */
    static String base;
    ChromeDriver d;

    /** Starts the browser (or skips the class), then the server {@code make} builds. */
    static void startWith(Callable<SmeltServer> make) throws Exception {
        browser = HeadlessChromium.startOrSkip();
        server = make.call();
        base = "http://127.0.0.1:" + server.start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close(Duration.ZERO);
            }
            browser = null;
            server = null;
        }
    }

    @BeforeEach
    void fresh() {
        d = browser.driver();
        browser.forgetKey(base);
    }

    @AfterEach
    void noConsoleErrors() {
        if (d != null) {
            browser.assertNoConsoleErrors();
        }
    }

    WebDriverWait waiting() {
        return browser.waiting();
    }
}
