package dev.smelt.server;

import dev.smelt.server.http.ApiException;
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
 * request holds a {@link Lease}. A model's LoRA adapters are served as {@code base+adapter} on the one
 * loaded base. Loading runs outside the registry's lock: other models keep answering while one loads,
 * and concurrent requests for a loading model wait for that one load. Time comes from an injected
 * nanosecond clock. Thread-safe; owns a
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

        /** LoRA adapters the loaded {@code name} will offer, in adapter-id order (id = index + 1). */
        default List<String> adapters(String name) {
            return List.of();
        }

        /** The file or directory adapter {@code adapter} of {@code name} is read from, or null when unknown. */
        default java.nio.file.Path adapterFile(String name, String adapter) {
            return null;
        }

        /** The canonical name for {@code requested} when this loader can serve it though it was not registered (a stored name), else null. */
        default String discover(String requested) {
            return null;
        }

        /** Stops serving discovered {@code name} (it left the store). */
        default void forget(String name) {
        }

        /** The stored model behind {@code name} (its system message and default options), or null. */
        default dev.smelt.model.store.StoredModel stored(String name) {
            return null;
        }

        /** The model store names are discovered in, or null. */
        default dev.smelt.model.store.ModelStore store() {
            return null;
        }

        /**
         * {@code inner} with its loading done by {@code load} (which may call {@code inner.load}, e.g. to log around it) and
         * every other method forwarded to {@code inner}: a lambda alone would drop them (listings, adapters, stored names).
         */
        static Loader around(Loader inner, Loader load) {
            return new Loader() {
                @Override
                public ServedModel load(String name) throws Exception {
                    return load.load(name);
                }

                @Override
                public java.nio.file.Path file(String name) {
                    return inner.file(name);
                }

                @Override
                public List<String> adapters(String name) {
                    return inner.adapters(name);
                }

                @Override
                public java.nio.file.Path adapterFile(String name, String adapter) {
                    return inner.adapterFile(name, adapter);
                }

                @Override
                public String discover(String requested) {
                    return inner.discover(requested);
                }

                @Override
                public void forget(String name) {
                    inner.forget(name);
                }

                @Override
                public dev.smelt.model.store.StoredModel stored(String name) {
                    return inner.stored(name);
                }

                @Override
                public dev.smelt.model.store.ModelStore store() {
                    return inner.store();
                }
            };
        }
    }

    /** Separates a base model from its adapter in a served name ({@code base+adapter}). */
    public static final String ADAPTER_SEPARATOR = "+";
    /** Ollama's default tag: {@code name:latest} names {@code name}. */
    public static final String LATEST = ":latest";

    /** {@code name} without a {@code :latest} tag. */
    public static String untagged(String name) {
        return name.endsWith(LATEST) ? name.substring(0, name.length() - LATEST.length()) : name;
    }

    /** A request's use of a model; the model stays loaded until it is closed. */
    public final class Lease implements AutoCloseable {
        private final ServedModel model;
        private final int adapter;
        private final String servedName;
        private boolean closed;

        private Lease(ServedModel model, int adapter, String servedName) {
            this.model = model;
            this.adapter = adapter;
            this.servedName = servedName;
        }

        public ServedModel model() {
            return model;
        }

        /** The LoRA adapter id the request runs with (0 = the base model). */
        public int adapter() {
            return adapter;
        }

        /** The name the request asked for, canonicalized: {@code base} or {@code base+adapter}. */
        public String servedName() {
            return servedName;
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
    private final Map<String, java.util.concurrent.CompletableFuture<ServedModel>> loading = new java.util.HashMap<>();
    private boolean closed; // guarded by this
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

    /** Names to list: every canonical model, then each of its adapters as {@code base+adapter}. */
    public List<String> servedNames() {
        List<String> out = new ArrayList<>();
        for (String n : names()) {
            out.add(n);
            for (String a : loader.adapters(n)) {
                out.add(n + ADAPTER_SEPARATOR + a);
            }
        }
        return out;
    }

    /** LoRA adapters of canonical model {@code name}, in id order. */
    public List<String> adapters(String name) {
        return loader.adapters(name);
    }

    /** Where adapter {@code adapter} of base {@code name} comes from (listings), or null when unknown. */
    public java.nio.file.Path adapterFile(String name, String adapter) {
        return loader.adapterFile(name, adapter);
    }

    /** The file behind canonical model {@code name}, or null. */
    public java.nio.file.Path file(String name) {
        return loader.file(name);
    }

    /** The loaded model {@code canonical}, or null (does not load it). */
    public synchronized ServedModel loadedModel(String canonical) {
        return loaded.get(canonical);
    }

    /** The canonical name of {@code nameOrAlias} (with or without {@code :latest}), or null. */
    public String canonical(String nameOrAlias) {
        synchronized (this) {
            String c = aliases.get(nameOrAlias);
            if (c == null) {
                c = aliases.get(untagged(nameOrAlias));
            }
            if (c != null || closed) {
                return c;
            }
        }
        String found = loader.discover(nameOrAlias); // file system work, outside the lock
        if (found != null) {
            synchronized (this) {
                aliases.putIfAbsent(found, found);
            }
        }
        return found;
    }

    /** The stored model behind canonical {@code name}, or null. */
    public dev.smelt.model.store.StoredModel stored(String name) {
        return loader.stored(name);
    }

    /** The model store stored names are discovered in, or null. */
    public dev.smelt.model.store.ModelStore store() {
        return loader.store();
    }

    /**
     * Stops resolving stored model {@code name} (removed from the store): its names go; a loaded copy answers the requests
     * that hold it and is unloaded by the sweeper.
     */
    public void forget(String name) {
        synchronized (this) {
            aliases.values().removeIf(name::equals);
            ServedModel m = loaded.get(name);
            if (m != null) {
                m.keepAlive(Duration.ZERO);
            }
        }
        loader.forget(name);
        sweep();
    }

    public synchronized boolean isLoaded(String canonical) {
        return loaded.containsKey(canonical);
    }

    public synchronized List<ServedModel> loadedModels() {
        return new ArrayList<>(loaded.values());
    }

    /** The model for {@code name} (or alias), loading it if needed. Prefer {@link #acquire} for requests. */
    public ServedModel get(String name) {
        String canonical = resolve(name)[0];
        while (true) {
            ServedModel m = loadOrWait(canonical);
            synchronized (this) {
                if (loaded.get(canonical) == m) {
                    m.touch(clock.getAsLong());
                    return m;
                }
            }
        }
    }

    /**
     * Leases the model for {@code name} (alias, or {@code base+adapter}), loading it if needed; close the
     * lease when the request ends.
     *
     * @throws ApiException 404 for an unknown model or adapter, 500 when loading fails
     */
    public Lease acquire(String name) {
        String[] r = resolve(name);
        String canonical = r[0];
        int adapter = r[1] == null ? 0 : loader.adapters(canonical).indexOf(r[1]) + 1;
        String served = r[1] == null ? canonical : canonical + ADAPTER_SEPARATOR + r[1];
        while (true) {
            ServedModel m = loadOrWait(canonical);
            synchronized (this) {
                if (loaded.get(canonical) == m) { // not unloaded between the load and now
                    m.lease(clock.getAsLong());
                    return new Lease(m, adapter, served);
                }
            }
        }
    }

    /** {canonical base, adapter name or null} of a requested name; 404 in OpenAI's shape when either is unknown. */
    private String[] resolve(String requested) {
        String name = canonical(requested) != null ? requested : untagged(requested); // base+adapter:latest too
        String canonical = canonical(name);
        if (canonical != null) {
            return new String[] {canonical, null};
        }
        int plus = name.lastIndexOf(ADAPTER_SEPARATOR);
        String base = plus > 0 ? canonical(name.substring(0, plus)) : null;
        if (base != null) {
            String adapter = name.substring(plus + 1);
            if (loader.adapters(base).contains(adapter)) {
                return new String[] {base, adapter};
            }
            throw ApiException.notFound("The model '" + name + "' does not exist: '" + base + "' has no adapter '" + adapter + "'; its adapters: "
                    + String.join(", ", loader.adapters(base)), "model", "model_not_found");
        }
        List<String> available;
        synchronized (this) {
            available = new ArrayList<>(aliases.keySet());
        }
        throw ApiException.notFound("The model '" + name + "' does not exist; available: " + String.join(", ", available),
                "model", "model_not_found");
    }

    /** The loaded model, loading it outside the lock (or waiting for the request already loading it). */
    private ServedModel loadOrWait(String canonical) {
        java.util.concurrent.CompletableFuture<ServedModel> f;
        boolean mine = false;
        synchronized (this) {
            ServedModel m = loaded.get(canonical);
            if (m != null) {
                return m;
            }
            f = loading.get(canonical);
            if (f == null) {
                f = new java.util.concurrent.CompletableFuture<>();
                loading.put(canonical, f);
                mine = true;
            }
        }
        if (mine) {
            ServedModel m;
            try {
                m = loader.load(canonical);
            } catch (Exception | Error e) {
                synchronized (this) {
                    loading.remove(canonical);
                }
                ApiException api = e instanceof ApiException a ? a
                        : new ApiException(500, "server_error", "failed to load model '" + canonical + "': " + e.getMessage(), "model", null, null);
                f.completeExceptionally(api);
                throw api;
            }
            boolean late;
            synchronized (this) {
                loading.remove(canonical);
                late = closed;
                if (!late) {
                    loaded.put(canonical, m);
                    m.touch(clock.getAsLong()); // a fresh model is not idle yet
                }
            }
            if (late) { // the registry closed while this model loaded: do not leak it
                m.close();
                ApiException gone = new ApiException(503, "server_error", "the server is shutting down", "model", null, 1);
                f.completeExceptionally(gone);
                throw gone;
            }
            f.complete(m);
            return m;
        }
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof ApiException a) {
                throw a;
            }
            throw e;
        }
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
        if (ka.isNegative()) {
            return Long.MAX_VALUE;
        }
        try {
            return Math.addExact(m.lastUsedNanos(), ka.toNanos());
        } catch (ArithmeticException e) { // a keep-alive of centuries: never, in practice
            return Long.MAX_VALUE;
        }
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
            closed = true;
            all = new ArrayList<>(loaded.values());
            loaded.clear();
        }
        all.forEach(ServedModel::close);
    }
}
