package dev.smelt.spark;

import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One model per executor JVM: opened lazily on the first task that needs it, then shared by every later task of that
 * JVM (its weights are memory-mapped once). Keyed by model identity (kind, reference, threads); never serialized, so
 * closures carry only the reference. Thread-safe: {@link ConcurrentHashMap#computeIfAbsent} opens each model once.
 */
public final class ExecutorModels {
    record Key(String kind, String ref, int threads) {
    }

    /** A model with the milliseconds its load took (reported once per executor). */
    record Loaded(AutoCloseable model, long loadMillis, boolean[] reported) {
    }

    private static final Map<Key, Loaded> MODELS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    public static TextClassifier classifier(String dir, int threads) {
        return (TextClassifier) get(new Key("classifier", Path.of(dir).toAbsolutePath().normalize().toString(), threads)).model();
    }

    public static BertEmbedder embedder(String ref, int threads) {
        String key = Embedders.builtinName(ref) != null ? Embedders.builtinName(ref) : Path.of(ref).toAbsolutePath().normalize().toString();
        return (BertEmbedder) get(new Key("embedder", key, threads)).model();
    }

    static Generators generators(Key k) {
        return (Generators) get(k).model();
    }

    static Loaded get(Key k) {
        return MODELS.computeIfAbsent(k, ExecutorModels::open);
    }

    /** Milliseconds the model took to load in this JVM, or -1 the second time it is asked (so each load is counted once). */
    static long takeLoadMillis(Key k) {
        Loaded l = MODELS.get(k);
        if (l == null) {
            return -1;
        }
        synchronized (l.reported()) {
            if (l.reported()[0]) {
                return -1;
            }
            l.reported()[0] = true;
            return l.loadMillis();
        }
    }

    private static Loaded open(Key k) {
        long t0 = System.nanoTime();
        try {
            AutoCloseable m = switch (k.kind()) {
                case "classifier" -> TextClassifier.open(Path.of(k.ref()), k.threads());
                case "embedder" -> Embedders.open(k.ref(), k.threads());
                case "generator" -> generator(k);
                default -> throw new IllegalArgumentException("unknown model kind " + k.kind());
            };
            return new Loaded(m, (System.nanoTime() - t0) / 1_000_000, new boolean[1]);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** A generator key's reference is "path#slots=S#ctx=C". */
    private static Generators generator(Key k) throws IOException {
        String[] parts = k.ref().split("#");
        return Generators.open(Path.of(parts[0]), k.threads(), Integer.parseInt(parts[1].substring("slots=".length())),
                Integer.parseInt(parts[2].substring("ctx=".length())));
    }

    /** Threads for a model in this executor: {@code requested} when positive, else every core this JVM sees. */
    static int threads(int requested) {
        return requested > 0 ? requested : Runtime.getRuntime().availableProcessors();
    }

    /** Closes every model of this JVM (the CLI's driver, at the end of a local run; tests). */
    public static void closeAll() {
        for (Loaded l : MODELS.values()) {
            try {
                l.model().close();
            } catch (Exception e) {
                // closing frees threads and maps; a failure here cannot lose results
            }
        }
        MODELS.clear();
    }
}
