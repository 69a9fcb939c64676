package dev.smelt.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Packages of the main sources form a hierarchy: no two packages reach each other through imports or
 * fully qualified names, across all modules (Maven already keeps the modules themselves acyclic). A
 * cycle means neither package can be understood, tested or moved without the other; the failure names
 * every package of the cycle and the file that makes each edge.
 *
 * <p>Sources are read as text (comments and string literals dropped), so the test needs no compiled
 * classes and no dependency beyond the JDK.
 */
class PackageHierarchyTest {
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+?)(?:\\.\\*)?\\s*;", Pattern.MULTILINE);
    /** A fully qualified project name in code: lower-case package segments, then a type. */
    private static final Pattern QUALIFIED = Pattern.compile("\\b(dev\\.smelt(?:\\.[a-z_]\\w*)+)\\.[A-Z]");

    @Test
    void mainSourcesOfEveryModuleFormAPackageHierarchy() throws IOException {
        Path root = repositoryRoot();
        Map<String, Map<String, String>> graph = new TreeMap<>();
        List<Path> dirs;
        try (Stream<Path> modules = Files.list(root)) {
            dirs = modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).sorted().toList();
        }
        assertThat(dirs).as("module source folders under %s", root).hasSizeGreaterThan(5);
        for (Path dir : dirs) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(f -> f.toString().endsWith(".java")).forEach(f -> addEdges(graph, root.relativize(f), read(f)));
            }
        }
        assertThat(graph).as("packages found").hasSizeGreaterThan(20);
        assertThat(describe(cycles(graph), graph)).as("package cycles in main sources").isEmpty();
    }

    @Test
    void aTwoPackageCycleIsFoundAndNamed() {
        Map<String, Map<String, String>> graph = new TreeMap<>();
        addEdges(graph, Path.of("A.java"), "package dev.smelt.a;\nimport dev.smelt.a.b.B;\nclass A {}");
        addEdges(graph, Path.of("B.java"), "package dev.smelt.a.b;\n// import dev.smelt.c.C;\nclass B { Object o = new dev.smelt.a.A(); }");
        addEdges(graph, Path.of("C.java"), "package dev.smelt.c;\nimport static dev.smelt.a.A.f;\nclass C { String s = \"dev.smelt.x.X\"; }");

        List<Set<String>> cycles = cycles(graph);

        assertThat(cycles).containsExactly(Set.of("dev.smelt.a", "dev.smelt.a.b"));
        assertThat(describe(cycles, graph)).singleElement().asString()
                .contains("dev.smelt.a -> dev.smelt.a.b (A.java)", "dev.smelt.a.b -> dev.smelt.a (B.java)");
    }

    /** Adds package(file) → each project package it names, remembering one file per edge. */
    static void addEdges(Map<String, Map<String, String>> graph, Path file, String source) {
        String code = stripCommentsAndStrings(source);
        Matcher p = PACKAGE.matcher(code);
        if (!p.find()) {
            return;
        }
        String from = p.group(1);
        Map<String, String> out = graph.computeIfAbsent(from, k -> new TreeMap<>());
        Matcher i = IMPORT.matcher(code);
        while (i.find()) {
            addEdge(out, from, packageOf(i.group(1)), file);
        }
        Matcher q = QUALIFIED.matcher(code);
        while (q.find()) {
            addEdge(out, from, q.group(1), file);
        }
    }

    private static void addEdge(Map<String, String> out, String from, String to, Path file) {
        if (to.startsWith("dev.smelt.") && !to.equals(from)) {
            out.putIfAbsent(to, file.toString());
        }
    }

    /** The leading lower-case segments of a qualified name: the package of a type or member import. */
    static String packageOf(String name) {
        String[] parts = name.split("\\.");
        StringBuilder pkg = new StringBuilder();
        for (String part : parts) {
            if (!part.isEmpty() && Character.isUpperCase(part.charAt(0))) {
                break;
            }
            pkg.append(pkg.isEmpty() ? "" : ".").append(part);
        }
        return pkg.toString();
    }

    /** Strongly connected components with more than one package (Tarjan), each sorted. */
    static List<Set<String>> cycles(Map<String, Map<String, String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, graph, index, low, stack, onStack, out);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Map<String, String>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Map.of()).keySet()) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }

    /** Each cycle as its edges inside the component, with the file that makes each one. */
    static List<String> describe(List<Set<String>> cycles, Map<String, Map<String, String>> graph) {
        List<String> out = new ArrayList<>();
        for (Set<String> c : cycles) {
            StringBuilder s = new StringBuilder("cycle among " + c + ":");
            for (String from : c) {
                graph.getOrDefault(from, Map.of()).forEach((to, file) -> {
                    if (c.contains(to)) {
                        s.append("\n  ").append(from).append(" -> ").append(to).append(" (").append(file).append(')');
                    }
                });
            }
            out.add(s.toString());
        }
        return out;
    }

    /** Source with comments, string and char literals (text blocks included) blanked out. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith("//", i)) {
                i = s.indexOf('\n', i);
                i = i < 0 ? s.length() : i;
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                out.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = end < 0 ? s.length() : end + 3;
                out.append("\"\"");
            } else if (s.charAt(i) == '"' || s.charAt(i) == '\'') {
                char quote = s.charAt(i++);
                while (i < s.length() && s.charAt(i) != quote && s.charAt(i) != '\n') {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(quote).append(quote);
            } else {
                out.append(s.charAt(i++));
            }
        }
        return out.toString();
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("tensor/src/main/java"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("repository root above %s", Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
