package dev.smelt.server;

import dev.smelt.model.classify.TextClassifier;
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
 * The classifier directories a server offers at {@code /v1/classify}, by name (or alias): each opened on first
 * use and closed after {@code keepAlive} of idle time, as the chat models are (zero = closed when its last request
 * ends, negative = kept until shutdown), never while a request holds a {@link Lease}. A classifier loads under
 * its own lock, so others keep answering meanwhile. Time comes from an injected nanosecond clock. Thread-safe;
 * owns the classifiers it opened and a sweeper thread (unless built without one): close it.
 */
public final class ClassifierModels implements AutoCloseable {
    /** Opens the classifier registered under a canonical name (the CLI wires {@link TextClassifier#open}). */
    @FunctionalInterface
    public interface Opener {
        TextClassifier open(String name) throws Exception;

        /** The directory behind {@code name} (model listings report its time), or null when unknown. */
        default java.nio.file.Path file(String name) {
            return null;
        }
    }

    /** A request's use of a classifier; it stays open until the lease is closed. */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final TextClassifier classifier;
        private boolean closed;

        private Lease(Entry entry, TextClassifier classifier) {
            this.entry = entry;
            this.classifier = classifier;
        }

        public TextClassifier classifier() {
            return classifier;
        }

        /** The canonical name the request was answered by. */
        public String name() {
            return entry.name;
        }

        @Override
        public void close() {
            synchronized (entry) {
                if (closed) {
                    return;
                }
                closed = true;
                entry.active--;
                entry.lastUsed = clock.getAsLong();
                if (keepAlive.isZero() && entry.active == 0) {
                    entry.unload();
                }
            }
        }
    }

    /** One served classifier; every field guarded by the entry's monitor. */
    private static final class Entry {
        final String name;
        TextClassifier open;
        int active;
        long lastUsed;

        Entry(String name) {
            this.name = name;
        }

        void unload() {
            if (open != null) {
                open.close();
                open = null;
            }
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>(); // canonical name → entry; fixed after construction
    private final Map<String, String> aliases = new LinkedHashMap<>(); // alias or name → canonical name
    private final Opener opener;
    private final Duration keepAlive;
    private final LongSupplier clock;
    private final ScheduledExecutorService sweeper;
    private volatile boolean closed;

    /**
     * @param names      canonical names served
     * @param aliases    extra names → canonical name
     * @param nanoClock  monotonic nanoseconds (tests inject a manual clock)
     * @param autoSweep  run a sweeper thread; false = only explicit {@link #sweep} calls unload idle classifiers
     */
    public ClassifierModels(List<String> names, Map<String, String> aliases, Opener opener, Duration keepAlive, LongSupplier nanoClock,
                            boolean autoSweep) {
        if (opener == null || keepAlive == null || nanoClock == null) {
            throw new IllegalArgumentException("opener, keepAlive and nanoClock must not be null");
        }
        for (String n : names) {
            entries.put(n, new Entry(n));
            this.aliases.put(n, n);
        }
        aliases.forEach((alias, target) -> {
            if (!entries.containsKey(target)) {
                throw new IllegalArgumentException("alias '" + alias + "' names '" + target + "', which is not a served classifier " + names);
            }
            this.aliases.put(alias, target);
        });
        this.opener = opener;
        this.keepAlive = keepAlive;
        this.clock = nanoClock;
        if (autoSweep && !names.isEmpty() && !keepAlive.isNegative() && !keepAlive.isZero()) {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("smelt-classifier-sweeper").unstarted(r));
            long period = Math.max(100, Math.min(keepAlive.toMillis(), 5_000));
            sweeper.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
        } else {
            sweeper = null;
        }
    }

    /** Classifiers served with the default keep-alive and a sweeper thread. */
    public ClassifierModels(List<String> names, Map<String, String> aliases, Opener opener, Duration keepAlive) {
        this(names, aliases, opener, keepAlive, System::nanoTime, true);
    }

    /** No classifiers. */
    public static ClassifierModels none() {
        return new ClassifierModels(List.of(), Map.of(), name -> {
            throw new IllegalStateException("no classifiers");
        }, Duration.ZERO, System::nanoTime, false);
    }

    /** Canonical names, then aliases (for model listings). */
    public List<String> names() {
        return new ArrayList<>(aliases.keySet());
    }

    /** The directory behind {@code nameOrAlias}, or null when unknown. */
    public java.nio.file.Path file(String nameOrAlias) {
        String c = aliases.get(nameOrAlias);
        return c == null ? null : opener.file(c);
    }

    /** The canonical name for {@code requested} (null: the only classifier, if there is one), or null. */
    String resolve(String requested) {
        if (requested == null) {
            return entries.size() == 1 ? entries.keySet().iterator().next() : null;
        }
        return aliases.get(requested);
    }

    /** Whether the canonical classifier {@code name} is open now. */
    public boolean isLoaded(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            return false;
        }
        synchronized (e) {
            return e.open != null;
        }
    }

    /**
     * Leases the classifier for {@code requested}, opening it if needed.
     *
     * @throws ApiException 404 when no classifier has that name, 500 when it fails to load, 503 after shutdown began
     */
    public Lease acquire(String requested) {
        String name = resolve(requested);
        if (name == null) {
            throw ApiException.notFound("The classifier '" + requested + "' does not exist; classifiers served: "
                    + (entries.isEmpty() ? "none (start smelt serve with a classify-train directory)" : String.join(", ", names())),
                    "model", "model_not_found");
        }
        Entry e = entries.get(name);
        synchronized (e) {
            if (closed) {
                throw new ApiException(503, "server_error", "server is shutting down", null, null, null);
            }
            if (e.open == null) {
                try {
                    e.open = opener.open(name);
                } catch (Exception ex) {
                    throw new ApiException(500, "server_error", "failed to load classifier '" + name + "': " + ex.getMessage(), "model", null, null);
                }
            }
            e.active++;
            e.lastUsed = clock.getAsLong();
            return new Lease(e, e.open);
        }
    }

    /** Closes every classifier idle for longer than the keep-alive (none when it is negative). */
    public void sweep() {
        if (keepAlive.isNegative()) {
            return;
        }
        long now = clock.getAsLong();
        for (Entry e : entries.values()) {
            synchronized (e) {
                if (e.open != null && e.active == 0 && now - e.lastUsed >= keepAlive.toNanos()) {
                    e.unload();
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        for (Entry e : entries.values()) {
            synchronized (e) {
                e.unload();
            }
        }
    }
}
