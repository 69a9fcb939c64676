package dev.smelt.router;

import dev.smelt.client.TeacherException;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import dev.smelt.eval.RemoteTarget;
import dev.smelt.eval.Target;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A router target over several OpenAI-compatible replicas serving the same model ({@code type: pool}):
 * {@link ReplicaPool} picks each attempt's replica (least outstanding requests, prefix affinity,
 * ejection); an attempt that fails before any text reached the caller (refused or broken connection,
 * timeout, 5xx, malformed body) is retried on another replica, up to {@code retries} times. Generating is
 * free of side effects, so such a retry is safe. A 4xx is the request's fault: returned at once, not
 * counted against the replica. A stream that breaks after text was delivered is retried too, and the
 * retry continues it when its text starts with what was delivered (greedy decoding of one model on every
 * replica: the pool asks at temperature 0), only the rest being passed on; when it differs, the original
 * {@link MidStreamException} is thrown (the router's fallbacks and restart take it from there).
 *
 * <p>A background virtual thread checks {@code GET /health} of every replica each {@code healthInterval}
 * (a 503 from a loading or wedged {@code smelt serve} counts as failed).
 *
 * <p>Thread-safe. Owns the replicas' clients and the health-check thread: close it.
 */
public final class PoolTarget implements Target {
    private final String name;
    private final List<RemoteTarget> replicas; // replicas.get(i) serves pool.replicas().get(i)
    private final ReplicaPool pool;
    private final int retries;
    private final int affinityChars;
    private final HttpClient http;
    private final Duration healthTimeout;
    private final Thread checker;
    private volatile boolean closed;

    /**
     * @param replicas       one client per replica, in the pool's order, each making one attempt (no retries of its own)
     * @param retries        further attempts, each on a replica this request has not tried
     * @param affinityChars  length of the prompt prefix that keys affinity; shorter prompts (and 0) get none
     * @param healthInterval time between health-check rounds, or null for no background checks
     */
    public PoolTarget(String name, List<RemoteTarget> replicas, ReplicaPool pool, int retries, int affinityChars, HttpClient http,
                      TimeSource time, Duration healthInterval, Duration healthTimeout) {
        if (replicas.size() != pool.replicas().size()) {
            throw new IllegalArgumentException("pool '" + name + "': " + replicas.size() + " clients for " + pool.replicas().size() + " replicas");
        }
        if (retries < 0 || affinityChars < 0) {
            throw new IllegalArgumentException("pool '" + name + "': retries and affinity_prefix_chars must be >= 0");
        }
        this.name = name;
        this.replicas = List.copyOf(replicas);
        this.pool = pool;
        this.retries = retries;
        this.affinityChars = affinityChars;
        this.http = http;
        this.healthTimeout = healthTimeout;
        this.checker = healthInterval == null ? null : Thread.ofVirtual().name("pool-health-" + name).start(() -> {
            try {
                while (!closed) {
                    checkHealth();
                    time.sleep(healthInterval);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // closed
            }
        });
    }

    @Override
    public String name() {
        return name;
    }

    public ReplicaPool pool() {
        return pool;
    }

    @Override
    public Answer answer(Query q) throws Exception {
        return attempt(q, null);
    }

    @Override
    public Answer answer(Query q, Consumer<String> onDelta) throws Exception {
        return attempt(q, onDelta);
    }

    private Answer attempt(Query q, Consumer<String> onDelta) throws Exception {
        String key = affinityKey(q.messages(), affinityChars);
        Set<ReplicaPool.Replica> tried = new HashSet<>();
        List<String> problems = new ArrayList<>();
        long t0 = System.nanoTime();
        MidStreamException broken = null; // set once text reached the caller: later attempts must repeat it exactly
        for (int attempt = 0; attempt <= retries; attempt++) {
            ReplicaPool.Replica r = pool.pick(key, tried);
            if (r == null) {
                break;
            }
            tried.add(r);
            ReplicaPool.Outcome outcome = ReplicaPool.Outcome.FAILURE;
            Resume resume = broken == null || onDelta == null ? null : new Resume(broken.emitted(), onDelta);
            try {
                RemoteTarget t = replicas.get(r.index());
                Answer a = onDelta == null ? t.answer(q) : t.answer(q, resume != null ? resume : onDelta);
                outcome = ReplicaPool.Outcome.SUCCESS;
                if (resume != null && !resume.caughtUp()) {
                    throw broken; // the retry's answer is shorter than what the caller already has
                }
                return new Answer(a.text(), name, a.confidence(), a.inputTokens(), a.outputTokens(), a.costUsd(), System.nanoTime() - t0,
                        a.cached(), a.escalations());
            } catch (Resume.Diverged e) {
                outcome = ReplicaPool.Outcome.SUCCESS; // the replica was fine; its text differs from the broken one's
                throw broken;
            } catch (MidStreamException e) {
                problems.add(r.id() + ": " + e.getMessage());
                // greedy requests (temperature 0, as the pool sends them) repeat on another replica of the same model,
                // so a retry can continue the stream unseen: its first emitted characters are checked, not re-sent
                broken = broken == null ? e : broken;
            } catch (TeacherException e) {
                if (e.status() >= 400 && e.status() < 500) {
                    outcome = ReplicaPool.Outcome.NEUTRAL;
                    throw e;
                }
                problems.add(r.id() + ": " + e.getMessage());
            } finally {
                pool.done(r, outcome);
            }
        }
        if (broken != null) {
            throw broken;
        }
        throw new TeacherException(503, "pool '" + name + "': no replica answered (" + String.join("; ", problems) + ")", null);
    }

    /**
     * Passes on a retried stream's deltas after the text the caller already holds: the retry's first characters
     * must equal it (they are swallowed), the rest is forwarded. Not thread-safe (one stream, one thread).
     */
    static final class Resume implements Consumer<String> {
        /** The retry's text differs from what the caller holds: it cannot continue it. */
        static final class Diverged extends RuntimeException {
            Diverged() {
                super("the retried stream differs from the text already sent", null, false, false);
            }
        }

        private final String sent;
        private final Consumer<String> onDelta;
        private final StringBuilder mine = new StringBuilder();

        Resume(String sent, Consumer<String> onDelta) {
            this.sent = sent;
            this.onDelta = onDelta;
        }

        @Override
        public void accept(String d) {
            int before = mine.length();
            mine.append(d);
            int n = Math.min(mine.length(), sent.length());
            if (!mine.substring(0, n).equals(sent.substring(0, n))) {
                throw new Diverged();
            }
            if (mine.length() > sent.length()) {
                onDelta.accept(mine.substring(Math.max(before, sent.length())));
            }
        }

        boolean caughtUp() {
            return mine.length() >= sent.length();
        }
    }

    /** The prompt's first {@code chars} characters (roles and contents), or null when the prompt is shorter or affinity is off. */
    static String affinityKey(List<Map<String, String>> messages, int chars) {
        if (chars == 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (Map<String, String> m : messages) {
            sb.append(m.get("role")).append('\u0000').append(m.get("content")).append('\u0000');
            if (sb.length() >= chars) {
                return sb.substring(0, chars);
            }
        }
        return null;
    }

    /** One round of health checks, one replica after the other; the background thread calls it each interval. */
    public void checkHealth() throws InterruptedException {
        for (ReplicaPool.Replica r : pool.replicas()) {
            pool.checked(r, healthy(URI.create(r.id())));
        }
    }

    private boolean healthy(URI replica) throws InterruptedException {
        try {
            HttpRequest req = HttpRequest.newBuilder(replica.resolve("/health")).timeout(healthTimeout).GET().build();
            return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public boolean isFree() {
        return replicas.stream().allMatch(RemoteTarget::isFree);
    }

    @Override
    public boolean isThreadSafe() {
        return true;
    }

    @Override
    public void close() throws Exception {
        closed = true;
        if (checker != null) {
            checker.interrupt();
            checker.join();
        }
        CloseAll.of(replicas);
    }
}
