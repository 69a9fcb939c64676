package dev.smelt.router;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Which replica of a pool takes the next request, and which are out of service. The bookkeeping only:
 * no sockets, no threads ({@link PoolTarget} does the HTTP and the health checks).
 * <ul>
 * <li><b>Least outstanding requests</b>: the available replica with the fewest requests in flight; ties
 *     go round-robin, so an idle pool spreads its load.</li>
 * <li><b>Prefix affinity</b>: a request with an affinity key (its long prompt prefix) goes to the key's
 *     replica on a consistent-hash ring (virtual nodes), so the replica whose prefix cache holds that prefix
 *     gets it again and a replica leaving the pool only moves its own keys. Bounded loads (Mirrokni et al.,
 *     "Consistent Hashing with Bounded Loads"): a replica already holding more than {@code loadFactor} times
 *     its fair share of the requests in flight is passed over for the next one on the ring, so one hot prefix
 *     cannot pile everything on one replica.</li>
 * <li><b>Outlier ejection</b>, as Envoy's: {@code consecutiveFailures} failures in a row (5xx, refused or
 *     broken connections) eject a replica for {@code baseEjection} times the number of times it has been
 *     ejected (capped at {@code maxEjection}); it then returns and is ejected again, for longer, if it still
 *     fails. Each passed health check of a replica in service takes one off that multiplier. At most
 *     {@code maxEjectedPercent} of the replicas (but always one may) are ejected at once.</li>
 * <li><b>Health</b>: a replica failing {@code unhealthyChecks} health checks in a row is out until one passes.</li>
 * <li><b>Panic</b>: when no replica is available, every replica not yet tried by the request is eligible
 *     (as Envoy's panic threshold): a request is better tried on a replica believed down than refused.</li>
 * </ul>
 * Time comes from the injected nanosecond clock. Thread-safe (one lock; a pool has a handful of replicas).
 */
public final class ReplicaPool {
    /** What a finished attempt says about its replica. */
    public enum Outcome {
        /** Answered. */
        SUCCESS,
        /** 5xx, refused or broken connection, timeout: counts toward ejection. */
        FAILURE,
        /** The request's own fault (4xx): says nothing about the replica. */
        NEUTRAL
    }

    /**
     * @param consecutiveFailures failures in a row that eject a replica (Envoy's consecutive_5xx)
     * @param baseEjection        ejection time, multiplied by the number of ejections
     * @param maxEjection         cap on one ejection
     * @param maxEjectedPercent   most replicas ejected at once, in percent (one may always be)
     * @param unhealthyChecks     failed health checks in a row that take a replica out
     * @param loadFactor          bounded-load factor of affinity (> 1)
     * @param virtualNodes        points per replica on the hash ring
     */
    public record Settings(int consecutiveFailures, Duration baseEjection, Duration maxEjection, int maxEjectedPercent, int unhealthyChecks,
                           double loadFactor, int virtualNodes) {
        public Settings {
            if (consecutiveFailures < 1 || unhealthyChecks < 1 || virtualNodes < 1) {
                throw new IllegalArgumentException("consecutive_failures, unhealthy_checks and virtual_nodes must be >= 1");
            }
            if (baseEjection.isNegative() || maxEjection.compareTo(baseEjection) < 0) {
                throw new IllegalArgumentException("ejection times need 0 <= base <= max, got " + baseEjection + ", " + maxEjection);
            }
            if (maxEjectedPercent < 0 || maxEjectedPercent > 100) {
                throw new IllegalArgumentException("max_ejected_percent must be in [0, 100], got " + maxEjectedPercent);
            }
            if (!(loadFactor > 1)) {
                throw new IllegalArgumentException("affinity_load_factor must be > 1, got " + loadFactor);
            }
        }

        /** Envoy's defaults where it has one (5 failures, 30 s base, 300 s cap); 50% ejectable, 2 failed checks, load factor 1.25. */
        public static Settings defaults() {
            return new Settings(5, Duration.ofSeconds(30), Duration.ofSeconds(300), 50, 2, 1.25, 64);
        }
    }

    /** One replica's state; read it through the pool's accessors (guarded by the pool's lock). */
    public static final class Replica {
        private final int index;
        private final String id;
        private int outstanding;
        private int failuresInRow;
        private int failedChecks;
        private boolean healthy = true;
        private int ejections;
        private long ejectedUntil;
        private boolean ejected;

        private Replica(int index, String id) {
            this.index = index;
            this.id = id;
        }

        public int index() {
            return index;
        }

        public String id() {
            return id;
        }

        @Override
        public String toString() {
            return id;
        }
    }

    private final List<Replica> replicas;
    private final Settings settings;
    private final LongSupplier nanos;
    private final Consumer<String> events;
    private final long[] ringHashes; // sorted points of the ring
    private final int[] ringOwners;  // ringOwners[i]: index of the replica at ringHashes[i]
    private int cursor;              // round-robin start among ties

    /** A pool that reports nothing. */
    public ReplicaPool(List<String> ids, Settings settings, LongSupplier nanos) {
        this(ids, settings, nanos, e -> {
        });
    }

    /**
     * @param ids    the replicas' names (URLs), distinct
     * @param events told of each ejection and each health change, one line each (called under the pool's lock: keep it quick)
     */
    public ReplicaPool(List<String> ids, Settings settings, LongSupplier nanos, Consumer<String> events) {
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one replica");
        }
        if (Set.copyOf(ids).size() != ids.size()) {
            throw new IllegalArgumentException("a pool's replicas must be distinct, got " + ids);
        }
        this.settings = settings;
        this.nanos = nanos;
        this.events = events;
        List<Replica> rs = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            rs.add(new Replica(i, ids.get(i)));
        }
        this.replicas = List.copyOf(rs);
        int n = ids.size() * settings.virtualNodes();
        long[][] points = new long[n][];
        for (int i = 0, k = 0; i < ids.size(); i++) {
            for (int v = 0; v < settings.virtualNodes(); v++) {
                points[k++] = new long[] {hash(ids.get(i) + "#" + v), i};
            }
        }
        Arrays.sort(points, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        ringHashes = new long[n];
        ringOwners = new int[n];
        for (int k = 0; k < n; k++) {
            ringHashes[k] = points[k][0];
            ringOwners[k] = (int) points[k][1];
        }
    }

    public List<Replica> replicas() {
        return replicas;
    }

    /**
     * Picks the replica for an attempt and counts it as outstanding (pair with {@link #done}); null when
     * every replica is in {@code tried}.
     *
     * @param affinityKey the request's prompt prefix, or null for no affinity
     * @param tried       replicas this request already tried
     */
    public synchronized Replica pick(String affinityKey, Set<Replica> tried) {
        long now = nanos.getAsLong();
        List<Replica> candidates = new ArrayList<>();
        for (Replica r : replicas) {
            if (!tried.contains(r) && available(r, now)) {
                candidates.add(r);
            }
        }
        if (candidates.isEmpty()) { // panic: try one believed down rather than fail the request
            for (Replica r : replicas) {
                if (!tried.contains(r)) {
                    candidates.add(r);
                }
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        Replica r = affinityKey != null ? onRing(affinityKey, candidates) : leastOutstanding(candidates);
        r.outstanding++;
        return r;
    }

    /** Ends an attempt picked by {@link #pick}. */
    public synchronized void done(Replica r, Outcome outcome) {
        r.outstanding--;
        switch (outcome) {
            case SUCCESS -> r.failuresInRow = 0;
            case FAILURE -> {
                r.failuresInRow++;
                long now = nanos.getAsLong();
                if (r.failuresInRow >= settings.consecutiveFailures() && !ejectedNow(r, now) && mayEject(now)) {
                    r.ejections++;
                    long t = Math.min(settings.baseEjection().toNanos() * r.ejections, settings.maxEjection().toNanos());
                    r.ejected = true;
                    r.ejectedUntil = now + t;
                    r.failuresInRow = 0;
                    events.accept("ejected " + r.id + " for " + t / 1_000_000 + " ms after " + settings.consecutiveFailures()
                            + " failures in a row (ejection " + r.ejections + ")");
                }
            }
            case NEUTRAL -> {
            }
        }
    }

    /** Records one health check of {@code r}. */
    public synchronized void checked(Replica r, boolean ok) {
        if (ok) {
            r.failedChecks = 0;
            if (!r.healthy) {
                events.accept(r.id + " passed its health check: back in service");
            }
            r.healthy = true;
            if (!ejectedNow(r, nanos.getAsLong()) && r.ejections > 0) {
                r.ejections--; // a replica that stays well earns back its shorter ejections (Envoy's decay)
            }
        } else if (++r.failedChecks >= settings.unhealthyChecks()) {
            if (r.healthy) {
                events.accept(r.id + " failed " + r.failedChecks + " health checks in a row: out of service until one passes");
            }
            r.healthy = false;
        }
    }

    /** Whether {@code r} takes requests now (healthy and not ejected). */
    public synchronized boolean available(Replica r) {
        return available(r, nanos.getAsLong());
    }

    public synchronized int outstanding(Replica r) {
        return r.outstanding;
    }

    public synchronized boolean ejected(Replica r) {
        return ejectedNow(r, nanos.getAsLong());
    }

    public synchronized int ejections(Replica r) {
        return r.ejections;
    }

    public synchronized boolean healthy(Replica r) {
        return r.healthy;
    }

    /** The replica the ring gives {@code key} when every replica is available and idle: where its prefix lives. */
    public Replica home(String key) {
        return replicas.get(ringOwners[ringIndex(hash(key))]);
    }

    private boolean available(Replica r, long now) {
        return r.healthy && !ejectedNow(r, now);
    }

    private static boolean ejectedNow(Replica r, long now) {
        if (r.ejected && now - r.ejectedUntil >= 0) {
            r.ejected = false; // back in service; failing again ejects it for longer
        }
        return r.ejected;
    }

    private boolean mayEject(long now) {
        int ejected = 0;
        for (Replica r : replicas) {
            if (ejectedNow(r, now)) {
                ejected++;
            }
        }
        return ejected == 0 || (ejected + 1) * 100 <= settings.maxEjectedPercent() * replicas.size();
    }

    private Replica leastOutstanding(List<Replica> candidates) {
        int n = candidates.size();
        int start = Math.floorMod(cursor++, n);
        Replica best = null;
        for (int i = 0; i < n; i++) {
            Replica r = candidates.get((start + i) % n);
            if (best == null || r.outstanding < best.outstanding) {
                best = r;
            }
        }
        return best;
    }

    /** The first candidate clockwise from the key whose load is within the bound; the least loaded if none is. */
    private Replica onRing(String key, List<Replica> candidates) {
        int total = 1; // counting the request being placed
        for (Replica r : candidates) {
            total += r.outstanding;
        }
        double bound = Math.ceil(settings.loadFactor() * total / candidates.size());
        boolean[] ok = new boolean[replicas.size()];
        candidates.forEach(r -> ok[r.index] = true);
        int start = ringIndex(hash(key));
        for (int k = 0; k < ringHashes.length; k++) {
            int owner = ringOwners[(start + k) % ringHashes.length];
            if (ok[owner] && replicas.get(owner).outstanding + 1 <= bound) {
                return replicas.get(owner);
            }
        }
        return leastOutstanding(candidates);
    }

    private int ringIndex(long h) {
        int i = Arrays.binarySearch(ringHashes, h);
        i = i >= 0 ? i : -i - 1;
        return i == ringHashes.length ? 0 : i;
    }

    /** The first 8 bytes of SHA-256: stable across JVMs and versions, unlike String.hashCode spreads. */
    static long hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (d[i] & 0xff);
            }
            return h;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
