package dev.smelt.spark;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A {@code SPARK_HOME} made from smelt's own classpath, so {@code local-cluster[N,C,MB]} can start executor JVMs
 * without a Spark installation.
 *
 * <p>Spark's worker builds the executor's command line from {@code $SPARK_HOME}: its launcher needs a Scala build
 * directory ({@code launcher/target/scala-2.13}, else "Cannot find any build directories") and takes the classpath
 * from {@code jars/} (a release) or {@code assembly/target/scala-2.13/jars} (a build). Both are made here, the jars
 * as symbolic links to this JVM's classpath jars; classpath directories (a build's {@code target/classes}) cannot be
 * linked as jars and are returned for {@code spark.executor.extraClassPath}. Not thread-safe across processes sharing
 * one home: the jar links are replaced atomically, so the last writer wins with a complete set.
 */
public final class SparkHomeLayout {
    static final String SCALA = "2.13";

    private SparkHomeLayout() {
    }

    /** The layout in {@code home} for {@code classpath}; returns the classpath's directories, in order. */
    public static List<String> build(Path home, String classpath) throws IOException {
        Files.createDirectories(home.resolve("launcher/target/scala-" + SCALA));
        Path jars = home.resolve("jars");
        Path fresh = Files.createTempDirectory(home, ".jars-");
        List<String> dirs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path p = Path.of(entry).toAbsolutePath();
            if (Files.isDirectory(p)) {
                dirs.add(p.toString());
            } else if (Files.isRegularFile(p) && p.getFileName().toString().endsWith(".jar")) {
                String name = p.getFileName().toString();
                if (!names.add(name)) {
                    name = names.size() + "-" + name; // same file name from two folders: keep both, the first wins order
                    names.add(name);
                }
                Files.createSymbolicLink(fresh.resolve(name), p);
            }
        }
        replace(fresh, jars);
        Path assembly = home.resolve("assembly/target/scala-" + SCALA + "/jars");
        Files.createDirectories(assembly.getParent());
        if (!Files.isSymbolicLink(assembly)) {
            deleteTree(assembly);
            try {
                Files.createSymbolicLink(assembly, jars);
            } catch (FileAlreadyExistsException e) {
                // another process made it at the same moment: it points at the same jars folder
            }
        }
        return dirs;
    }

    private static void replace(Path fresh, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = Files.createTempDirectory(target.getParent(), ".old-");
            Files.delete(old);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) {
            deleteTree(old);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.list(p)) {
                for (Path c : (Iterable<Path>) s::iterator) {
                    deleteTree(c);
                }
            }
        }
        Files.delete(p);
    }
}
