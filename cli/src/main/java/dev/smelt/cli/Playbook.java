package dev.smelt.cli;

import dev.smelt.task.DataFile;
import dev.smelt.task.ReplayTeacher;
import dev.smelt.task.TaskSpec;
import dev.smelt.client.TeacherClient;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.LocalModelTarget;
import dev.smelt.eval.RemoteTarget;
import dev.smelt.eval.Target;
import dev.smelt.router.HashedNgrams;
import dev.smelt.router.Router;
import dev.smelt.router.RouterConfig;
import dev.smelt.router.StandardTargets;
import dev.smelt.router.TargetFactory;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Wiring shared by eval, route-eval and route-train: the target types router files may use, the
 * embeddings learned routers may use, and the {@code --target} forms of {@code smelt eval}.
 * (The encoder module adds a "classifier" target type and a sentence-encoder embedding here.)
 */
final class Playbook {
    /** Buckets of the hashed n-gram features (the learned router's default embedding). */
    static final int HASHED_DIM = 4096;

    private Playbook() {
    }

    static HttpClient http() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    static Map<String, TargetFactory> targetTypes() {
        return new LinkedHashMap<>(StandardTargets.factories(http(), System::getenv));
    }

    /** The router's embeddings by name; a built-in encoder runs on {@code threads} threads once first used. */
    static Map<String, Function<List<String>, float[][]>> embeddings(int threads) {
        Map<String, Function<List<String>, float[][]>> m = new LinkedHashMap<>();
        m.put(HashedNgrams.NAME, new HashedNgrams(HASHED_DIM));
        for (String enc : dev.smelt.model.encoder.Embedders.builtinNames()) {
            m.put(enc, new LazyEncoder(enc, threads));
        }
        return m;
    }

    /** A built-in sentence encoder opened on first use (loading it costs seconds; most commands never need it). */
    static final class LazyEncoder implements Function<List<String>, float[][]> {
        private final String name;
        private final int threads;
        private dev.smelt.model.encoder.Embedder embedder;

        LazyEncoder(String name, int threads) {
            this.name = name;
            this.threads = threads;
        }

        @Override
        public synchronized float[][] apply(List<String> texts) {
            if (embedder == null) {
                try {
                    embedder = dev.smelt.model.encoder.Embedders.open(name, threads);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return embedder.embed(texts);
        }
    }

    static Router router(Path file, TaskSpec task, int threads) throws Exception {
        return RouterConfig.load(file).build(targetTypes(), task, embeddings(threads));
    }

    /** The task given on the command line, else the router file's. */
    static TaskSpec task(Path task, Path router) throws Exception {
        if (task != null) {
            return TaskSpec.load(task);
        }
        RouterConfig c = RouterConfig.load(router);
        if (c.task() == null) {
            throw new IllegalArgumentException("give --task (the router file " + router + " names none)");
        }
        return TaskSpec.load(c.task());
    }

    /**
     * A {@code --target} of smelt eval: {@code [NAME=]SPEC} where SPEC is an http(s) URL (OpenAI-compatible
     * endpoint), {@code classifier:DIR} (a classify-train folder), {@code replay:FILE} (the replay stand-in), a router file (.yaml/.yml/.json), or a GGUF
     * model (path or hf:).
     */
    static Target target(String arg, TaskSpec task, TeacherOptions teacher, ModelOptions model, Path cacheDir) throws Exception {
        int eq = arg.indexOf('=');
        String name = eq > 0 && !arg.startsWith("http") ? arg.substring(0, eq) : null;
        String spec = name != null ? arg.substring(eq + 1) : arg;
        if (spec.startsWith("http://") || spec.startsWith("https://")) {
            String n = name != null ? name : java.net.URI.create(spec).getHost();
            return new RemoteTarget(n, new TeacherClient(teacher.config(spec, null, cache(cacheDir, n)), http(), TimeSource.SYSTEM,
                    System::getenv), true);
        }
        if (spec.startsWith("classifier:")) {
            Path dir = Path.of(spec.substring(11));
            return new dev.smelt.eval.ClassifierTarget(name != null ? name : dir.getFileName().toString(), dir, model.threadCount());
        }
        if (spec.startsWith("replay:")) {
            Path data = Path.of(spec.substring(7));
            String n = name != null ? name : "replay-teacher";
            ReplayTeacher rt = new ReplayTeacher(DataFile.read(data, task.inputField(), task.labelField(), true), "127.0.0.1", 0);
            RemoteTarget t = new RemoteTarget(n, new TeacherClient(teacher.config(rt.url(), ReplayTeacher.MODEL, cache(cacheDir, n)), http(),
                    TimeSource.SYSTEM, System::getenv), true);
            return new dev.smelt.router.ReplayTeacherTarget(n, t, rt);
        }
        String low = spec.toLowerCase(java.util.Locale.ROOT);
        if (low.endsWith(".yaml") || low.endsWith(".yml") || low.endsWith(".json")) {
            return router(Path.of(spec), task, model.threadCount());
        }
        Path p = ModelRefs.resolve(Path.of(spec));
        String n = name != null ? name : p.getFileName().toString().replaceFirst("\\.gguf$", "");
        return new LocalModelTarget(n, p, model.threadCount(), model.contextOr(2048));
    }

    private static Path cache(Path dir, String name) {
        return dir == null ? null : dir.resolve("cache-" + name.replaceAll("[^A-Za-z0-9._-]", "_") + ".jsonl");
    }
}
