package dev.smelt.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Models the server can serve, by name or alias: loaded on first use, unloaded after their keep-alive
 * of idle time (Ollama's behaviour: default {@code keepAlive}, per model overridable by a request's
 * {@code keep_alive}; zero = unload when the last request ends, negative = never), never while a
 * request holds a {@link Lease}. Time comes from an injected nanosecond clock. Thread-safe; owns a
 * sweeper thread (unless built without one, for tests that call {@link #sweep} themselves).
 */
public final class ModelRegistry implements AutoCloseable {
    /** Builds a served model for a registered name (wired by the CLI: weights, tokenizer, template). */
    @FunctionalInterface
    public interface Loader {
        ServedModel load(String name) throws Exception;

        /** The file behind {@code name} (for model listings), or null when there is none. */
        default java.nio.file.Path file(String name) {
            return null;
        }
    }

    /** A request's use of a model; the model stays loaded until it is closed. */
    public final class Lease implements AutoCloseable {
        private final ServedModel model;
        private boolean closed;

        private Lease(ServedModel model) {
            this.model = model;
        }

        public ServedModel model() {
            return model;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            model.release(clock.getAsLong());
            Duration ka = keepAliveOf(model);
            if (ka.isZero()) {
                sweep();
            }
        }
    }

    private final Map<String, String> aliases = new LinkedHashMap<>(); // alias → canonical name
    private final Map<String, ServedModel> loaded = new LinkedHashMap<>();
    private final Loader loader;
    private final Duration keepAlive;
    private final LongSupplier clock;
    private final ScheduledExecutorService sweeper;

    public ModelRegistry(List<String> names, Map<String, String> extraAliases, Loader loader, Duration keepAlive) {
        this(names, extraAliases, loader, keepAlive, System::nanoTime, true);
    }

    /**
     * @param nanoClock  monotonic time in nanoseconds (tests inject a manual clock)
     * @param autoSweep  run a sweeper thread; false = only explicit {@link #sweep} calls unload
     */
    public ModelRegistry(List<String> names, Map<String, String> extraAliases, Loader loader, Duration keepAlive,
                         LongSupplier nanoClock, boolean autoSweep) {
        // names may be empty: `smelt serve all-minilm-l6-v2` serves embedding models only (requests for a
        // generative model then get the usual 404 naming what is available).
        for (String n : names) {
            aliases.put(n, n);
        }
        aliases.putAll(extraAliases);
        this.loader = loader;
        this.keepAlive = keepAlive;
        this.clock = nanoClock;
        if (autoSweep) {
            this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("smelt-model-sweeper").unstarted(r));
            long period = Math.max(100, Math.min(Math.abs(keepAlive.toMillis()), 5_000));
            sweeper.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
        } else {
            this.sweeper = null;
        }
    }

    /** Canonical model names. */
    public synchronized List<String> names() {
        return new ArrayList<>(new java.util.LinkedHashSet<>(aliases.values()));
    }

    /** The file behind canonical model {@code name}, or null. */
    public java.nio.file.Path file(String name) {
        return loader.file(name);
    }

    /** The loaded model {@code canonical}, or null (does not load it). */
    public synchronized ServedModel loadedModel(String canonical) {
        return loaded.get(canonical);
    }

    /** The canonical name of {@code nameOrAlias}, or null. */
    public synchronized String canonical(String nameOrAlias) {
        return aliases.get(nameOrAlias);
    }

    public synchronized boolean isLoaded(String canonical) {
        return loaded.containsKey(canonical);
    }

    public synchronized List<ServedModel> loadedModels() {
        return new ArrayList<>(loaded.values());
    }

    /** The model for {@code name} (or alias), loading it if needed. Prefer {@link #acquire} for requests. */
    public ServedModel get(String name) {
        synchronized (this) {
            ServedModel m = loadLocked(name);
            m.touch(clock.getAsLong());
            return m;
        }
    }

    /** Leases the model for {@code name} (or alias), loading it if needed; close the lease when the request ends. */
    public Lease acquire(String name) {
        synchronized (this) {
            ServedModel m = loadLocked(name);
            m.lease(clock.getAsLong());
            return new Lease(m);
        }
    }

    /** Caller holds the monitor. */
    private ServedModel loadLocked(String name) {
        String canonical = aliases.get(name);
        if (canonical == null) {
            throw ApiException.notFound("The model '" + name + "' does not exist; available: " + String.join(", ", aliases.keySet()),
                    "model", "model_not_found");
        }
        ServedModel m = loaded.get(canonical);
        if (m == null) {
            try {
                m = loader.load(canonical);
            } catch (ApiException e) {
                throw e;
            } catch (Exception e) {
                throw new ApiException(500, "server_error", "failed to load model '" + canonical + "': " + e.getMessage(), "model", null, null);
            }
            loaded.put(canonical, m);
        }
        return m;
    }

    /** Sets the keep-alive of a loaded model (Ollama's per-request {@code keep_alive}); null restores the default. */
    public void keepAlive(ServedModel m, Duration d) {
        m.keepAlive(d);
    }

    /** The keep-alive in force for {@code m}. */
    public Duration keepAliveOf(ServedModel m) {
        Duration d = m.keepAlive();
        return d != null ? d : keepAlive;
    }

    /** When {@code m} will be unloaded if it stays idle, in this registry's nanosecond clock; Long.MAX_VALUE = never. */
    public long expiresAtNanos(ServedModel m) {
        Duration ka = keepAliveOf(m);
        return ka.isNegative() ? Long.MAX_VALUE : m.lastUsedNanos() + ka.toNanos();
    }

    /** The registry's clock now (nanoseconds). */
    public long nowNanos() {
        return clock.getAsLong();
    }

    /** Unloads every model idle past its keep-alive with no request holding or queued on it. */
    public void sweep() {
        List<ServedModel> toClose = new ArrayList<>();
        long now = clock.getAsLong();
        synchronized (this) {
            var it = loaded.entrySet().iterator();
            while (it.hasNext()) {
                ServedModel m = it.next().getValue();
                Duration ka = keepAliveOf(m);
                boolean expired = !ka.isNegative() && m.idleNanos(now) >= ka.toNanos();
                if (expired && m.leases() == 0 && m.engine().activeRequests() == 0 && m.engine().queueDepth() == 0) {
                    it.remove();
                    toClose.add(m);
                }
            }
        }
        toClose.forEach(ServedModel::close);
    }

    /** Unloads {@code canonical} now if no request holds it (Ollama: a request with keep_alive 0). */
    public boolean unload(String canonical) {
        ServedModel m;
        synchronized (this) {
            m = loaded.get(canonical);
            if (m == null || m.leases() > 0 || m.engine().activeRequests() > 0) {
                return false;
            }
            loaded.remove(canonical);
        }
        m.close();
        return true;
    }

    @Override
    public void close() {
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        List<ServedModel> all;
        synchronized (this) {
            all = new ArrayList<>(loaded.values());
            loaded.clear();
        }
        all.forEach(ServedModel::close);
    }
}
