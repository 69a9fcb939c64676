package dev.smelt.cli;

import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.OllamaDurations;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code smelt serve MODEL...}: the OpenAI-compatible server. */
@Command(name = "serve", description = "Serve models over an OpenAI-compatible HTTP API with continuous batching.")
final class ServeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", description = "GGUF models; each is served under its file name without .gguf (the first also as 'default'). "
            + "Embedding models (all-minilm-l6-v2, bge-small-en-v1.5, a bert .gguf, an .onnx file or a BERT directory) are served at /v1/embeddings and /api/embed; "
            + "classifier directories from classify-train (DIR, served under its directory name, or NAME=DIR) at /v1/classify.")
    List<Path> models;

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", defaultValue = "8080")
    int port;

    @Option(names = "--api-key", description = "Required bearer key (repeatable); also SMELT_API_KEY.")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--no-auth", description = "Allow serving without a key on a non-loopback address.")
    boolean noAuth;

    @Option(names = "--cors", description = "Allowed CORS origin (repeatable); CORS is off by default.")
    List<String> cors = new ArrayList<>();

    @Option(names = {"-t", "--threads"})
    Integer threads;

    @Option(names = {"-np", "--parallel"}, defaultValue = "4", description = "Sequence slots per model (default ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = {"-c", "--ctx"}, defaultValue = "4096", description = "Context per slot (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--queue", defaultValue = "64", description = "Requests that may wait for a slot before 429 (default ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--keep-alive", defaultValue = "5m",
            description = "How long an idle model stays loaded: 5m, 1h, 300 (seconds), 0 (unload after each request), -1 (forever); default ${DEFAULT-VALUE}.")
    String keepAlive;

    @Option(names = "--grace", defaultValue = "30s", description = "On shutdown, how long in-flight requests may finish before they are cancelled (default ${DEFAULT-VALUE}).")
    String grace;

    @Option(names = "--alias", description = "Another name for a served model or classifier, ALIAS=NAME (repeatable), e.g. --alias gpt-4o-mini=qwen2.5-0.5b-q4_0.")
    List<String> aliasSpecs = new ArrayList<>();

    @Option(names = "--log-prompts", description = "Include request bodies in logs (off by default).")
    boolean logPrompts;

    @picocli.CommandLine.Mixin
    LoraOptions loraOptions;

    @Option(names = "--adapter", description = "A LoRA adapter selectable per request without reloading the base, NAME=DIR|adapter.gguf "
            + "(repeatable; for the first model) or MODEL+NAME=PATH; requests choose it with \"model\": \"MODEL+NAME\" or an \"adapter\" field.")
    List<String> adapterSpecs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        SmeltServer server = build();
        Duration graceDuration = OllamaDurations.parseOption(grace, "--grace");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close(graceDuration);
            stopped.countDown();
        }));
        int bound = server.start();
        System.err.printf("smelt serving %s on http://%s:%d (OpenAI API at /v1, Ollama API at /api, health at /health, metrics at /metrics)%n",
                String.join(", ", servedNames), host, bound);
        stopped.await();
        return 0;
    }

    /** Names printed at startup, filled by {@link #build}. */
    private List<String> servedNames = List.of();

    /** Checks the options and models and builds the server (not started yet). */
    SmeltServer build() throws Exception {
        Map<String, Path> files = new LinkedHashMap<>();
        Map<String, String> embedders = new LinkedHashMap<>(); // served name → built-in name or path
        Map<String, Path> classifiers = new LinkedHashMap<>(); // served name → classify-train directory
        for (Path ref : models) {
            Map.Entry<String, Path> clf = ClassifierServe.classifierRef(ref);
            if (clf != null) {
                if (classifiers.put(clf.getKey(), clf.getValue()) != null) {
                    throw new IllegalArgumentException("two classifiers are served as '" + clf.getKey() + "': name one NAME=DIR");
                }
                continue;
            }
            String embedder = EmbeddingServe.embedderRef(ref);
            if (embedder != null) {
                embedders.put(EmbeddingServe.servedName(embedder), embedder);
                continue;
            }
            Path p = ModelRefs.resolve(ref);
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p.toString());
            }
            files.put(GgufModelLoader.nameOf(p), p);
        }
        rejectNameClashes(files, embedders, classifiers);
        if (loraOptions.lora != null) { // fail at startup, not on the first request
            for (Path p : files.values()) {
                try (dev.smelt.model.gguf.GgufFile f = dev.smelt.model.gguf.GgufFile.open(p)) {
                    dev.smelt.model.lora.LoraFiles.load(loraOptions.lora, dev.smelt.model.lora.LoraBase.of(f));
                }
            }
        }
        Map<String, Map<String, Path>> adapters = adapters(files);
        for (Map.Entry<String, Map<String, Path>> e : adapters.entrySet()) { // a bad adapter fails at startup, naming its file
            try (dev.smelt.model.gguf.GgufFile f = dev.smelt.model.gguf.GgufFile.open(files.get(e.getKey()))) {
                GgufModelLoader.readAdapters(e.getValue(), dev.smelt.model.lora.LoraBase.of(f));
            }
        }
        String env = System.getenv("SMELT_API_KEY");
        if (env != null && !env.isBlank()) {
            apiKeys.add(env.trim());
        }
        ServerConfig cfg = new ServerConfig(host, port, apiKeys, noAuth, cors,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), slots, ctx, queue, OllamaDurations.parseOption(keepAlive, "--keep-alive"), logPrompts);
        OllamaDurations.parseOption(grace, "--grace"); // checked before anything starts
        cfg.validate();
        Map<String, String> aliases = new LinkedHashMap<>();
        if (!files.isEmpty()) {
            aliases.put("default", files.keySet().iterator().next());
        }
        Map<String, String> classifierAliases = new LinkedHashMap<>();
        for (String spec : aliasSpecs) {
            int eq = spec.indexOf('=');
            String target = eq <= 0 ? null : spec.substring(eq + 1);
            if (target != null && classifiers.containsKey(target)) {
                classifierAliases.put(spec.substring(0, eq), target);
                continue;
            }
            if (target == null || target.isEmpty() || !files.containsKey(target)) {
                throw new IllegalArgumentException("--alias must be ALIAS=NAME with NAME one of "
                        + EmbeddingServe.all(files.keySet(), classifiers.keySet()) + ", got '" + spec + "'");
            }
            aliases.put(spec.substring(0, eq), target);
        }
        ModelRegistry registry = new ModelRegistry(new ArrayList<>(files.keySet()), aliases,
                new GgufModelLoader(files, cfg, (name, m) -> loraOptions.applyTo(m), adapters), cfg.keepAlive());
        SmeltServer server = new SmeltServer(cfg, registry, EmbeddingServe.models(embedders, cfg.threads()),
                ClassifierServe.models(classifiers, classifierAliases, cfg.threads(), cfg.keepAlive()), Clock.systemUTC());
        servedNames = EmbeddingServe.all(EmbeddingServe.all(files.keySet(), embedders.keySet()), classifiers.keySet());
        return server;
    }

    /**
     * One served name must mean one model: a chat model, an embedder and a classifier under the same name (or a
     * classifier or embedder called "default" beside a chat model) would make requests ambiguous.
     */
    private static void rejectNameClashes(Map<String, Path> files, Map<String, String> embedders, Map<String, Path> classifiers) {
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

    /** Parses {@code --adapter} specs into model → adapter name → path. */
    private Map<String, Map<String, Path>> adapters(Map<String, Path> files) {
        Map<String, Map<String, Path>> out = new LinkedHashMap<>();
        for (String spec : adapterSpecs) {
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
            if (out.computeIfAbsent(model, k -> new LinkedHashMap<>()).put(name, p) != null) {
                throw new IllegalArgumentException("--adapter " + name + " is given twice for " + model);
            }
        }
        return out;
    }
}
