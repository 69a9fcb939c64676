package dev.smelt.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Models the server can serve, by name: loaded on first use, unloaded after {@code keepAlive} idle
 * (Ollama's behaviour), never while requests run. Thread-safe; owns a sweeper thread.
 */
public final class ModelRegistry implements AutoCloseable {
    /** Builds a served model for a registered name (wired by the CLI: weights, tokenizer, template). */
    @FunctionalInterface
    public interface Loader {
        ServedModel load(String name) throws Exception;
    }

    private final Map<String, String> aliases = new LinkedHashMap<>(); // alias → canonical name
    private final Map<String, ServedModel> loaded = new LinkedHashMap<>();
    private final Loader loader;
    private final Duration keepAlive;
    private final ScheduledExecutorService sweeper;

    public ModelRegistry(List<String> names, Map<String, String> extraAliases, Loader loader, Duration keepAlive) {
        for (String n : names) {
            aliases.put(n, n);
        }
        aliases.putAll(extraAliases);
        this.loader = loader;
        this.keepAlive = keepAlive;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("smelt-model-sweeper").unstarted(r));
        long period = Math.max(1, Math.min(keepAlive.toMillis(), 30_000));
        sweeper.scheduleAtFixedRate(this::unloadIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** Canonical model names. */
    public synchronized List<String> names() {
        return new ArrayList<>(new java.util.LinkedHashSet<>(aliases.values()));
    }

    public synchronized boolean isLoaded(String canonical) {
        return loaded.containsKey(canonical);
    }

    public synchronized List<ServedModel> loadedModels() {
        return new ArrayList<>(loaded.values());
    }

    /** The model for {@code name} (or alias), loading it if needed. */
    public ServedModel get(String name) {
        String canonical;
        synchronized (this) {
            canonical = aliases.get(name);
            if (canonical == null) {
                throw ApiException.notFound("The model '" + name + "' does not exist; available: " + String.join(", ", aliases.keySet()),
                        "model", "model_not_found");
            }
            ServedModel m = loaded.get(canonical);
            if (m != null) {
                m.touch();
                return m;
            }
            try {
                m = loader.load(canonical);
            } catch (ApiException e) {
                throw e;
            } catch (Exception e) {
                throw new ApiException(500, "server_error", "failed to load model '" + canonical + "': " + e.getMessage(), "model", null, null);
            }
            loaded.put(canonical, m);
            return m;
        }
    }

    private void unloadIdle() {
        List<ServedModel> toClose = new ArrayList<>();
        synchronized (this) {
            var it = loaded.entrySet().iterator();
            while (it.hasNext()) {
                ServedModel m = it.next().getValue();
                if (m.idleNanos() > keepAlive.toNanos() && m.engine().activeRequests() == 0 && m.engine().queueDepth() == 0) {
                    it.remove();
                    toClose.add(m);
                }
            }
        }
        toClose.forEach(ServedModel::close);
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        List<ServedModel> all;
        synchronized (this) {
            all = new ArrayList<>(loaded.values());
            loaded.clear();
        }
        all.forEach(ServedModel::close);
    }
}
