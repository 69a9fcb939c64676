package dev.smelt.cli;

import dev.smelt.model.classify.TextClassifier;
import dev.smelt.server.ClassifierModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;

/** How {@code smelt serve} tells classifier directories ({@code classify-train} output) apart and opens them. Stateless. */
final class ClassifierServe {
    private ClassifierServe() {
    }

    /**
     * The served name and directory when {@code ref} is a classifier directory, {@code DIR} (served under the
     * directory's name) or {@code NAME=DIR}; else null.
     */
    static Map.Entry<String, Path> classifierRef(Path ref) {
        if (TextClassifier.isClassifierDir(ref)) {
            Path abs = ref.toAbsolutePath().normalize();
            return Map.entry(abs.getFileName() != null ? abs.getFileName().toString() : abs.toString(), ref);
        }
        String s = ref.toString();
        int eq = s.indexOf('=');
        if (eq > 0 && java.nio.file.Files.isDirectory(Path.of(s.substring(eq + 1)))) {
            Path dir = Path.of(s.substring(eq + 1));
            if (!TextClassifier.isClassifierDir(dir)) {
                throw new IllegalArgumentException("'" + s + "': " + dir + " is not a classifier directory (no classifier.json; train one with smelt classify-train)");
            }
            return Map.entry(s.substring(0, eq), dir);
        }
        return null;
    }

    static ClassifierModels models(Map<String, Path> served, Map<String, String> aliases, int threads, Duration keepAlive) {
        return new ClassifierModels(new ArrayList<>(served.keySet()), aliases, name -> TextClassifier.open(served.get(name), threads), keepAlive);
    }
}
