package dev.smelt.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates {@code ../shared} (reference models, goldens, datasets) from the project root. Tests call
 * {@link #require} and are skipped with a clear message when it is absent (a user's fresh clone);
 * CI always has it. Override with {@code -Dsmelt.shared=DIR} or {@code SMELT_SHARED=DIR}.
 */
public final class SharedData {
    private SharedData() {
    }

    /** The shared folder, or null when it cannot be found. */
    public static Path root() {
        String prop = System.getProperty("smelt.shared", System.getenv("SMELT_SHARED"));
        if (prop != null && Files.isDirectory(Path.of(prop))) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        // Tests run with the module directory as working directory: walk up to find a sibling 'shared'.
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && dir != null; i++) {
            Path candidate = dir.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("reference"))) {
                return candidate.normalize();
            }
            dir = dir.getParent();
        }
        return null;
    }

    /** {@code root().resolve(relative)}, skipping the calling test when shared data or that file is absent. */
    public static Path require(String relative) {
        Path root = root();
        Assumptions.assumeTrue(root != null,
                "skipped: ../shared (reference data) not found next to the project; CI always has it");
        Path p = root.resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), "skipped: shared file " + p + " is missing");
        return p;
    }

    /** A reference model file, e.g. {@code model("llama-Q4_0.gguf")}. */
    public static Path model(String name) {
        return require("reference/models/" + name);
    }

    /** A golden file under reference/golden. */
    public static Path golden(String name) {
        return require("reference/golden/" + name);
    }
}
