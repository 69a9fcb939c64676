package dev.smelt.server.web;

import dev.smelt.server.http.ApiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The training runs and eval results under one folder ({@code --runs DIR}), found by the files smelt writes:
 * <ul>
 *   <li>{@link Kind#FINETUNE}: {@code metrics.csv} ({@code smelt finetune}; its own {@code mlruns/} is part of it);</li>
 *   <li>{@link Kind#CLASSIFIER}: {@code classifier.json} ({@code smelt classify-train});</li>
 *   <li>{@link Kind#MLFLOW}: {@code meta.yaml} beside a {@code metrics/} folder (a run of MLflow's file store);</li>
 *   <li>{@link Kind#EVAL}: {@code result.json} ({@code smelt eval --out}, {@code smelt demo}).</li>
 * </ul>
 * Only files under the folder are ever read: a run's id is its relative path (base64url), checked segment by segment
 * and resolved to its real path, which must lie under the folder's real path, so neither {@code ..} nor a symbolic
 * link leads out of it. The scan is bounded ({@link #MAX_DEPTH}, {@link #MAX_RUNS}, {@link #MAX_VISITED}) and does not
 * follow symbolic links into folders. Immutable; thread-safe.
 */
public final class RunsDirectory {
    /** Folder levels below the root that are searched. */
    static final int MAX_DEPTH = 8;
    /** Runs listed at most; a bigger tree is cut (the list says so). */
    static final int MAX_RUNS = 1000;
    /** Folders visited at most, so a huge unrelated tree cannot stall the page. */
    static final int MAX_VISITED = 50_000;
    /** Files listed per run. */
    static final int MAX_FILES = 200;
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");

    /** What wrote a run. */
    public enum Kind {
        FINETUNE, CLASSIFIER, MLFLOW, EVAL;

        String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A run: its id (for URLs), path relative to the root ("." for the root itself), kind and real folder. */
    public record Run(String id, String path, Kind kind, Path dir) {
    }

    /** The runs found and whether the scan stopped at a bound. */
    public record Scan(List<Run> runs, boolean truncated) {
    }

    /** A file of a run: name and size. */
    public record FileEntry(String name, long bytes) {
    }

    private final Path root;

    /**
     * @throws IllegalArgumentException when {@code dir} is not a readable folder
     */
    public RunsDirectory(Path dir) {
        try {
            this.root = dir.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("--runs " + dir + ": no such folder");
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("--runs " + dir + ": not a folder");
        }
    }

    public Path root() {
        return root;
    }

    /** The runs under the root, in path order. Unreadable folders are skipped. */
    public Scan scan() throws IOException {
        List<Run> runs = new ArrayList<>();
        boolean[] truncated = {false};
        int[] visited = {0};
        // depth + 1: walkFileTree opens folders above its depth only, and the folders at MAX_DEPTH must be looked into
        Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), MAX_DEPTH + 1, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (++visited[0] > MAX_VISITED || runs.size() >= MAX_RUNS) {
                    truncated[0] = true;
                    return FileVisitResult.TERMINATE;
                }
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                if (!dir.equals(root) && name.startsWith(".")) {
                    return FileVisitResult.SKIP_SUBTREE; // .git, .cache: never runs
                }
                if (name.equals("mlruns") && kindOf(dir.getParent()) == Kind.FINETUNE) {
                    return FileVisitResult.SKIP_SUBTREE; // the finetune run's own MLflow copy of its curves
                }
                Kind k = kindOf(dir);
                if (k != null) {
                    String rel = relative(dir);
                    runs.add(new Run(encode(rel), rel, k, dir));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // unreadable: not a run we can show
            }
        });
        runs.sort(java.util.Comparator.comparing(Run::path));
        return new Scan(List.copyOf(runs), truncated[0]);
    }

    /** The kind of run {@code dir} holds, or null. Marker files must be regular files inside the root. */
    Kind kindOf(Path dir) {
        if (dir == null) {
            return null;
        }
        if (inside(dir.resolve("metrics.csv"))) {
            return Kind.FINETUNE;
        }
        if (inside(dir.resolve("classifier.json"))) {
            return Kind.CLASSIFIER;
        }
        if (inside(dir.resolve("meta.yaml")) && Files.isDirectory(dir.resolve("metrics"), LinkOption.NOFOLLOW_LINKS)) {
            return Kind.MLFLOW;
        }
        if (inside(dir.resolve("result.json"))) {
            return Kind.EVAL;
        }
        return null;
    }

    /** The real path of the folder {@code p} when it lies under the root, else null. */
    Path folderInside(Path p) {
        try {
            Path real = p.toRealPath();
            return real.startsWith(root) && Files.isDirectory(real) ? real : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** True when {@code p} is a regular file whose real path lies under the root. */
    boolean inside(Path p) {
        try {
            Path real = p.toRealPath();
            return real.startsWith(root) && Files.isRegularFile(real);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The run with this id; 404 when the id is not a path under the root, leaves it (by {@code ..} or a link), or
     * names a folder that holds no run.
     */
    public Run run(String id) {
        String rel = decode(id);
        Path dir;
        try {
            dir = (rel.equals(".") ? root : root.resolve(rel)).toRealPath();
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw notFound(id);
        }
        Kind k = dir.startsWith(root) && Files.isDirectory(dir) ? kindOf(dir) : null;
        if (k == null) {
            throw notFound(id);
        }
        return new Run(id, rel, k, dir);
    }

    /** The file {@code name} directly in {@code run}'s folder, or 404 (other names, folders, links that leave the root). */
    public Path file(Run run, String name) {
        ApiException missing = ApiException.notFound("run " + run.path() + " has no file '" + name + "'", null, "file_not_found");
        if (name == null || !FILE_NAME.matcher(name).matches()) {
            throw missing;
        }
        Path p = run.dir().resolve(name);
        if (!inside(p)) {
            throw missing;
        }
        return p;
    }

    /** The regular files directly in {@code run}'s folder (inside the root), by name, at most {@link #MAX_FILES}. */
    public List<FileEntry> files(Run run) {
        List<FileEntry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(run.dir())) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (out.size() < MAX_FILES && FILE_NAME.matcher(name).matches() && inside(p)) {
                    out.add(new FileEntry(name, Files.size(p)));
                }
            }
        } catch (IOException e) {
            return out; // listed as far as readable
        }
        return out;
    }

    private String relative(Path dir) {
        String r = root.relativize(dir).toString().replace('\\', '/');
        return r.isEmpty() ? "." : r;
    }

    /** The URL-safe id of a relative path. */
    static String encode(String rel) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(rel.getBytes(StandardCharsets.UTF_8));
    }

    /** The relative path of an id, refused (404) unless made of plain segments: no {@code ..}, no absolute path. */
    static String decode(String id) {
        String rel;
        try {
            rel = new String(Base64.getUrlDecoder().decode(id), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw notFound(id);
        }
        if (rel.equals(".")) {
            return rel;
        }
        String[] segs = rel.split("/", -1);
        if (rel.isEmpty() || segs.length > MAX_DEPTH || rel.indexOf('\\') >= 0 || rel.indexOf('\0') >= 0) {
            throw notFound(id);
        }
        for (String s : segs) {
            if (s.isEmpty() || s.equals(".") || s.equals("..") || s.contains(":")) {
                throw notFound(id);
            }
        }
        return rel;
    }

    private static ApiException notFound(String id) {
        return ApiException.notFound("no run with id '" + id + "' under the --runs folder", null, "run_not_found");
    }
}
