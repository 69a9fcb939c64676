package dev.smelt.server;

import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.Embedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.model.encoder.GgufBertLoader;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.LoraFiles;
import dev.smelt.model.store.ModelStore;
import dev.smelt.model.store.StoredModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code smelt serve MODEL...} serves, resolved and checked before anything listens: each argument is
 * a GGUF chat model (served under its file name without {@code .gguf}, the first also as {@code default}),
 * an embedding model (a built-in name, an {@code .onnx} file, a BERT directory or a BERT {@code .gguf}) or a
 * classifier directory from {@code classify-train} ({@code DIR} or {@code NAME=DIR}); {@code --alias} and
 * {@code --adapter} specs are parsed here. Every bad argument is an {@link IllegalArgumentException} or
 * {@link IOException} naming it. Immutable once resolved.
 */
public final class ServedModels {
    /** Turns a model argument into a local file (the CLI downloads {@code hf:} references with a progress bar). */
    @FunctionalInterface
    public interface Resolver {
        Path resolve(Path ref) throws Exception;
    }

    private final Map<String, Path> files = new LinkedHashMap<>();          // chat model name → GGUF
    private final Map<String, String> embedders = new LinkedHashMap<>();    // served name → built-in name or path
    private final Map<String, Path> classifiers = new LinkedHashMap<>();    // served name → classify-train directory
    private final Map<String, String> aliases = new LinkedHashMap<>();      // chat model aliases, "default" first
    private final Map<String, String> classifierAliases = new LinkedHashMap<>();
    private final Map<String, Map<String, Path>> adapters = new LinkedHashMap<>();
    private final Map<String, StoredModel> stored = new LinkedHashMap<>();  // chat models from the store, by served name
    private ModelStore store;                                               // null: no stored names

    private ServedModels() {
    }

    /** {@link #resolve(List, List, List, Resolver)} where a model argument may also be a name in {@code store}. */
    public static ServedModels resolve(List<Path> refs, List<String> aliasSpecs, List<String> adapterSpecs, Resolver resolver,
                                       ModelStore store) throws Exception {
        return resolveAll(refs, aliasSpecs, adapterSpecs, resolver, store);
    }

    /**
     * @param aliasSpecs   {@code ALIAS=NAME} for a chat model or classifier
     * @param adapterSpecs {@code NAME=PATH} (for the first model) or {@code MODEL+NAME=PATH}: LoRA adapters selectable per request
     */
    public static ServedModels resolve(List<Path> refs, List<String> aliasSpecs, List<String> adapterSpecs, Resolver resolver)
            throws Exception {
        return resolveAll(refs, aliasSpecs, adapterSpecs, resolver, null);
    }

    private static ServedModels resolveAll(List<Path> refs, List<String> aliasSpecs, List<String> adapterSpecs, Resolver resolver,
                                           ModelStore store) throws Exception {
        ServedModels s = new ServedModels();
        s.store = store;
        for (Path ref : refs) {
            Map.Entry<String, Path> clf = classifierRef(ref);
            if (clf != null) {
                if (s.classifiers.put(clf.getKey(), clf.getValue()) != null) {
                    throw new IllegalArgumentException("two classifiers are served as '" + clf.getKey() + "': name one NAME=DIR");
                }
                continue;
            }
            String embedder = embedderRef(ref);
            if (embedder != null) {
                s.embedders.put(embedderName(embedder), embedder);
                continue;
            }
            StoredModel st = store == null || Files.exists(ref) ? null : store.find(ref.toString());
            if (st != null) { // a stored name: served under it (without :latest), with what its Modelfile added
                s.stored.put(st.name().servedName(), st);
                s.files.put(st.name().servedName(), st.model());
                continue;
            }
            Path p = resolver.resolve(ref);
            if (!Files.isRegularFile(p)) {
                throw new IOException("no such file: " + p + " (a GGUF model, an hf:OWNER/REPO/FILE.gguf reference, a classifier "
                        + "directory, or a built-in embedding model: " + String.join(", ", Embedders.builtinNames()) + ")");
            }
            s.files.put(GgufModelLoader.nameOf(p), p);
        }
        s.rejectNameClashes();
        if (!s.files.isEmpty()) {
            s.aliases.put("default", s.files.keySet().iterator().next());
        }
        s.parseAliases(aliasSpecs);
        s.parseAdapters(adapterSpecs);
        return s;
    }

    /** Checks a LoRA adapter applied to every chat model ({@code --lora}) against each, so a bad one fails at startup. */
    public void checkLora(Path lora) throws IOException {
        if (lora == null) {
            return;
        }
        for (Path p : files.values()) {
            try (GgufFile f = GgufFile.open(p)) {
                LoraFiles.load(lora, LoraBase.of(f));
            }
        }
    }

    /** Every served name: chat models, embedders, classifiers. */
    public List<String> names() {
        List<String> out = new ArrayList<>(files.keySet());
        out.addAll(embedders.keySet());
        out.addAll(classifiers.keySet());
        return out;
    }

    /** The server over these models (not started); it owns the registries. */
    public SmeltServer server(ServerConfig cfg, GgufModelLoader.Customizer customizer, Clock clock) {
        cfg.validate();
        ModelRegistry registry = new ModelRegistry(new ArrayList<>(files.keySet()), aliases,
                logged(new GgufModelLoader(files, cfg, customizer, adapters, store, stored), dev.smelt.server.http.RequestLog.stderr(clock), clock),
                cfg.keepAlive());
        ClassifierModels clf = new ClassifierModels(new ArrayList<>(classifiers.keySet()), classifierAliases, new ClassifierModels.Opener() {
            @Override
            public TextClassifier open(String name) throws Exception {
                return TextClassifier.open(classifiers.get(name), cfg.threads());
            }

            @Override
            public Path file(String name) {
                return classifiers.get(name);
            }
        }, cfg.keepAlive());
        SmeltServer server = new SmeltServer(cfg, registry, embeddings(embedders, cfg.threads()), clf, clock);
        return store == null ? server : server.enableStore(dev.smelt.model.hub.ModelDownloader.fromEnvironment(System.getenv()));
    }

    /**
     * {@code loader} with a log line before and after each load ({@code model_loading}, {@code model_loaded} with
     * {@code bytes} and {@code seconds}): a first request that waits seconds for its model says why.
     */
    ModelRegistry.Loader logged(ModelRegistry.Loader loader, dev.smelt.server.http.RequestLog log, Clock clock) {
        return ModelRegistry.Loader.around(loader, name -> {
            Path p = files.get(name);
            long bytes = p != null && java.nio.file.Files.isRegularFile(p) ? java.nio.file.Files.size(p) : -1;
            log.write(log.event("model_loading").put("model", name).put("bytes", bytes));
            long t0 = clock.millis();
            ServedModel m = loader.load(name);
            log.write(log.event("model_loaded").put("model", name).put("bytes", bytes).put("seconds", (clock.millis() - t0) / 1000.0));
            return m;
        });
    }

    /** Embedding models by served name → built-in name or path, each opened on first use with {@code threads} threads. */
    public static EmbeddingModels embeddings(Map<String, String> served, int threads) {
        Map<String, String> copy = Map.copyOf(served);
        return new EmbeddingModels(new ArrayList<>(served.keySet()), new EmbeddingModels.Opener() {
            @Override
            public Embedder open(String name) throws Exception {
                return Embedders.open(copy.get(name), threads);
            }

            @Override
            public Path file(String name) {
                String ref = copy.get(name);
                return ref == null || Embedders.builtinName(ref) != null ? null : Path.of(ref);
            }
        });
    }

    /** The embedder reference (built-in name or path) when {@code ref} names one, else null. */
    public static String embedderRef(Path ref) {
        String s = ref.toString();
        if (Embedders.builtinName(s) != null) {
            return Embedders.builtinName(s);
        }
        if (s.endsWith(".onnx") || Files.isDirectory(ref) && Files.isRegularFile(ref.resolve("config.json")) || GgufBertLoader.isBert(ref)) {
            return s;
        }
        return null;
    }

    /** The name an embedder reference is served under: the built-in name, or the file name without .onnx/.gguf. */
    public static String embedderName(String ref) {
        return Embedders.builtinName(ref) != null ? ref : Path.of(ref).getFileName().toString().replaceFirst("\\.(onnx|gguf)$", "");
    }

    /**
     * The served name and directory when {@code ref} is a classifier directory, {@code DIR} (served under the
     * directory's name) or {@code NAME=DIR}; else null.
     */
    public static Map.Entry<String, Path> classifierRef(Path ref) {
        if (TextClassifier.isClassifierDir(ref)) {
            Path abs = ref.toAbsolutePath().normalize();
            return Map.entry(abs.getFileName() != null ? abs.getFileName().toString() : abs.toString(), ref);
        }
        String s = ref.toString();
        int eq = s.indexOf('=');
        if (eq > 0 && Files.isDirectory(Path.of(s.substring(eq + 1)))) {
            Path dir = Path.of(s.substring(eq + 1));
            if (!TextClassifier.isClassifierDir(dir)) {
                throw new IllegalArgumentException("'" + s + "': " + dir + " is not a classifier directory (no classifier.json; train one with smelt classify-train)");
            }
            return Map.entry(s.substring(0, eq), dir);
        }
        return null;
    }

    /**
     * One served name must mean one model: a chat model, an embedder and a classifier under the same name (or a
     * classifier or embedder called "default" beside a chat model) would make requests ambiguous.
     */
    private void rejectNameClashes() {
        Map<String, String> owner = new LinkedHashMap<>();
        if (!files.isEmpty()) {
            owner.put("default", "the default chat model");
        }
        files.forEach((name, p) -> claim(owner, name, "the chat model " + p));
        embedders.forEach((name, ref) -> claim(owner, name, "the embedding model " + ref));
        classifiers.forEach((name, dir) -> claim(owner, name, "the classifier " + dir));
    }

    private static void claim(Map<String, String> owner, String name, String what) {
        String before = owner.putIfAbsent(name, what);
        if (before != null && !before.equals(what)) {
            throw new IllegalArgumentException("'" + name + "' would name both " + before + " and " + what
                    + ": serve one of them under another name (NAME=PATH for classifiers)");
        }
    }

    private void parseAliases(List<String> specs) {
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String target = eq <= 0 ? null : spec.substring(eq + 1);
            if (target != null && classifiers.containsKey(target)) {
                classifierAliases.put(spec.substring(0, eq), target);
                continue;
            }
            if (target == null || target.isEmpty() || !files.containsKey(target)) {
                throw new IllegalArgumentException("--alias must be ALIAS=NAME with NAME one of " + all(files.keySet(), classifiers.keySet())
                        + ", got '" + spec + "'");
            }
            aliases.put(spec.substring(0, eq), target);
        }
    }

    /** Parses {@code --adapter} specs into model → adapter name → path, and reads each against its base (fails naming the file). */
    private void parseAdapters(List<String> specs) throws IOException {
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0 || eq == spec.length() - 1) {
                throw new IllegalArgumentException("--adapter must be NAME=PATH or MODEL+NAME=PATH, got '" + spec + "'");
            }
            String key = spec.substring(0, eq);
            int plus = key.lastIndexOf('+');
            String model = plus > 0 ? key.substring(0, plus) : files.isEmpty() ? null : files.keySet().iterator().next();
            String name = plus > 0 ? key.substring(plus + 1) : key;
            if (model == null || !files.containsKey(model)) {
                throw new IllegalArgumentException("--adapter '" + spec + "': no served GGUF model '" + model + "'; models: " + files.keySet());
            }
            if (name.isBlank() || name.contains("+")) {
                throw new IllegalArgumentException("--adapter '" + spec + "': the adapter name must be non-empty without '+'");
            }
            Path p = Path.of(spec.substring(eq + 1));
            if (!Files.exists(p)) {
                throw new IllegalArgumentException("--adapter " + name + ": " + p + " does not exist (give a PEFT directory or an adapter .gguf)");
            }
            if (adapters.computeIfAbsent(model, k -> new LinkedHashMap<>()).put(name, p) != null) {
                throw new IllegalArgumentException("--adapter " + name + " is given twice for " + model);
            }
        }
        for (Map.Entry<String, Map<String, Path>> e : adapters.entrySet()) {
            try (GgufFile f = GgufFile.open(files.get(e.getKey()))) {
                GgufModelLoader.readAdapters(e.getValue(), LoraBase.of(f));
            }
        }
    }

    private static List<String> all(Collection<String> a, Collection<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
