package dev.smelt.cli;

import dev.smelt.server.OllamaDurations;
import dev.smelt.server.ServedModels;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import dev.smelt.server.http.ApiKeys;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code smelt serve MODEL...}: the OpenAI-compatible server. */
@Command(name = "serve", description = "Serve models over an OpenAI-compatible HTTP API with continuous batching.")
final class ServeCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", description = "GGUF models; each is served under its file name without .gguf (the first also as 'default'); "
            + "a name from the model store (smelt list) is served under that name, and every stored name is served on request. "
            + "Without any MODEL: the model store alone, as ollama serve does. "
            + "Embedding models (all-minilm-l6-v2, bge-small-en-v1.5, a bert .gguf, an .onnx file or a BERT directory) are served at /v1/embeddings and /api/embed; "
            + "classifier directories from classify-train (DIR, served under its directory name, or NAME=DIR) at /v1/classify.")
    List<Path> models;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", description = "Port to listen on (default 8080, or 11434 with --ollama).")
    Integer port;

    @Option(names = "--ollama", description = "Listen on Ollama's port 11434 (unless --port is given), so Ollama clients work unconfigured.")
    boolean ollama;

    @Option(names = "--api-key", description = "Required bearer key (repeatable); also SMELT_API_KEY and --api-key-file. Blank keys are refused.")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--api-key-file", description = "File with accepted keys, one per line (# comments allowed).")
    Path apiKeyFile;

    @Option(names = "--no-auth", description = "Allow serving without a key on a non-loopback address.")
    boolean noAuth;

    @Option(names = "--cors", description = "Allowed CORS origin (repeatable); CORS is off by default.")
    List<String> cors = new ArrayList<>();

    @Option(names = "--allowed-host", description = "Host name to answer besides loopback names, IP addresses and --host "
            + "(repeatable; .example.com for a domain and its subdomains, * for any). Other Host headers get 403 (DNS rebinding).")
    List<String> allowedHosts = new ArrayList<>();

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions; // -t and -c (per slot; the server caps it at each model's context)

    @Option(names = {"-np", "--parallel"}, defaultValue = "4", description = "Sequence slots per model (default ${DEFAULT-VALUE}).")
    int slots;

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

    @picocli.CommandLine.Mixin
    RunsOption runsOption;

    @Option(names = "--adapter", description = "A LoRA adapter selectable per request without reloading the base, NAME=DIR|adapter.gguf "
            + "(repeatable; for the first model) or MODEL+NAME=PATH; requests choose it with \"model\": \"MODEL+NAME\" or an \"adapter\" field.")
    List<String> adapterSpecs = new ArrayList<>();

    @picocli.CommandLine.Mixin
    SpeculativeOptions speculative;

    @Option(names = "--no-jump-forward", description = "Sample every token of structured output, even those the JSON schema forces "
            + "(by default forced keys, punctuation and the rest of a unique enum value are appended in one step).")
    boolean noJumpForward;

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
        System.err.printf("smelt serving %s on http://%s:%d (OpenAI API at /v1, Ollama API at /api, health at /health, metrics at /metrics; playground at /, dashboard at /dashboard, API docs at /docs%s)%n",
                String.join(", ", servedNames), host, bound, runsOption.runs == null ? "" : ", runs of " + runsOption.runs + " at /runs");
        stopped.await();
        return 0;
    }

    /** Names printed at startup, filled by {@link #build}. */
    private List<String> servedNames = List.of();

    /** Checks the options and models and builds the server (not started yet); the serving logic is in {@link ServedModels}. */
    SmeltServer build() throws Exception {
        ServerConfig cfg = new ServerConfig(host, ServerConfig.port(port, ollama), ApiKeys.collect(apiKeys, System.getenv(), apiKeyFile),
                noAuth, cors, modelOptions.threadCount(), slots, modelOptions.contextOr(ModelOptions.DEFAULT_CONTEXT), queue,
                OllamaDurations.parseOption(keepAlive, "--keep-alive"), logPrompts, allowedHosts, speculative.toConfig(!noJumpForward));
        OllamaDurations.parseOption(grace, "--grace"); // checked before anything starts
        cfg.validate();
        java.nio.file.Path runsDir = runsOption.folder();
        dev.smelt.model.store.ModelStore store = StoreCommands.store();
        if ((models == null || models.isEmpty()) && store.names().isEmpty()) {
            throw new IllegalArgumentException("nothing to serve: give MODEL... (a GGUF file, hf:OWNER/REPO/FILE.gguf, an embedding model, "
                    + "a classifier directory) or add models to the store " + store.root() + " with smelt pull or smelt create");
        }
        ServedModels served = ServedModels.resolve(models == null ? List.of() : models, aliasSpecs, adapterSpecs, ModelRefs::resolve, store);
        served.checkLora(loraOptions.lora);
        servedNames = served.names().isEmpty() ? List.of("the model store " + store.root() + " (" + String.join(", ", store.names()) + ")")
                : served.names();
        SmeltServer server = served.server(cfg, (name, m) -> loraOptions.applyTo(m), Clock.systemUTC());
        return runsDir == null ? server : server.enableRuns(runsDir);
    }
}
