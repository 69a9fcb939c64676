package dev.smelt.server.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.JavascriptExecutor;

/**
 * Checks the page open in the browser with axe-core (the test-only WebJar, injected through WebDriver, so the page's
 * Content-Security-Policy is untouched and the page never serves it) against the WCAG 2.0/2.1 level A and AA rules:
 * labels on every control, contrast, names of links and buttons, landmarks, table headers, ARIA use. Stateless.
 */
public final class Accessibility {
    /** The axe-core rule tags run: WCAG 2.0 and 2.1, levels A and AA. */
    public static final List<String> TAGS = List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa");
    private static final String AXE = "/META-INF/resources/webjars/axe-core/4.6.3/axe.min.js";
    private static final String SOURCE = load();

    private Accessibility() {
    }

    private static String load() {
        try (InputStream in = Accessibility.class.getResourceAsStream(AXE)) {
            if (in == null) {
                throw new IllegalStateException(AXE + " is not on the test classpath (org.webjars.npm:axe-core)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The violations on the current page, one line each: rule, impact, what it asks, and the elements (CSS selectors)
     * that fail it with axe's summary of why. Empty when the page passes.
     */
    @SuppressWarnings("unchecked")
    public static List<String> violations(JavascriptExecutor page) {
        if (!Boolean.TRUE.equals(page.executeScript("return typeof window.axe === 'object'"))) {
            page.executeScript(SOURCE);
        }
        Object r = page.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "window.axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
                + ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                + " nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' '))}))))"
                + ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));", TAGS);
        List<String> out = new ArrayList<>();
        for (Object o : (List<Object>) r) {
            Map<String, Object> v = (Map<String, Object>) o;
            out.add(v.get("id") + " (" + v.get("impact") + "): " + v.get("help") + " " + v.get("nodes"));
        }
        return out;
    }
}
