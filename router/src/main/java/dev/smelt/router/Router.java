package dev.smelt.router;

import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import dev.smelt.eval.Target;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A target in front of other targets: the policy picks the first target and may escalate after its
 * answer; an error or timeout (also after part of a streamed answer) moves on to the next fallback
 * not tried yet; paid targets are skipped once the budget is spent, free ones never are. Every answer
 * names the target that produced it, the ones tried before it, and the total cost of all tries. When an
 * escalation fails, the answer it was meant to improve is returned (its path records the failure).
 * Thread-safe when its targets are (calls to a target that is not are serialized per target).
 * Owns its targets (closes them).
 */
public final class Router implements Target {
    private final String name;
    private final Map<String, Target> targets;
    private final Policy policy;
    private final List<String> fallbacks;
    private final Duration timeout;
    private final Budget budget;
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param fallbacks targets tried in this order when one fails (those not tried yet)
     * @param timeout   per-call limit, or null for none
     */
    public Router(String name, Map<String, Target> targets, Policy policy, List<String> fallbacks, Duration timeout, Budget budget) {
        this.name = name;
        this.targets = new LinkedHashMap<>(targets);
        this.policy = policy;
        this.fallbacks = List.copyOf(fallbacks);
        this.timeout = timeout;
        this.budget = budget;
        for (String t : names()) {
            if (!targets.containsKey(t)) {
                throw new IllegalArgumentException("router '" + name + "' refers to unknown target '" + t + "' (targets: " + targets.keySet() + ")");
            }
        }
    }

    private List<String> names() {
        List<String> n = new ArrayList<>(fallbacks);
        n.add(policy.weak());
        n.add(policy.strong());
        return n;
    }

    @Override
    public String name() {
        return name;
    }

    public Policy policy() {
        return policy;
    }

    public Map<String, Target> targets() {
        return targets;
    }

    public Budget budget() {
        return budget;
    }

    @Override
    public Answer answer(Query q) throws Exception {
        return answer(q, null, null);
    }

    @Override
    public Answer answer(Query q, Consumer<String> onDelta) throws Exception {
        return answer(q, onDelta, null);
    }

    /**
     * Streams the answer; when a target fails mid-stream and a fallback takes over, {@code onRestart}
     * is told (an HTTP layer turns it into an event) unless the fallback's text continues what was
     * already streamed, in which case only the rest is streamed.
     */
    public Answer answer(Query q, Consumer<String> onDelta, Consumer<String> onRestart) throws Exception {
        return answer(q, onDelta, onRestart, new Trace());
    }

    /** {@link #answer(Query, Consumer, Consumer)}, telling {@code trace} each target tried and why (the router dashboard's view). */
    public Answer answer(Query q, Consumer<String> onDelta, Consumer<String> onRestart, Trace trace) throws Exception {
        long t0 = System.nanoTime();
        List<String> tried = new ArrayList<>();
        BigDecimal spent = BigDecimal.ZERO;
        long in = 0;
        long out = 0;
        String next = policy.first(q);
        if (next.equals(policy.strong()) && !next.equals(policy.weak())) {
            trace.add(next, Trace.ROUTED, Double.NaN, policy.reason(q, null));
        }
        Exception last = null;
        Answer accepted = null; // an answer the policy wanted to improve on: it stands if every escalation fails
        List<String> acceptedTried = List.of();
        StringBuilder streamed = new StringBuilder();
        while (next != null) {
            Target t = targets.get(next);
            if (!t.isFree() && !budget.allowsPaid()) {
                last = new IllegalStateException("budget of paid calls spent; skipped " + next);
                tried.add(next + "(budget)");
                trace.add(next, Trace.SKIPPED, Double.NaN, "paid-call budget spent");
                next = accepted != null ? null : nextFallback(tried);
                continue;
            }
            try {
                Answer a = call(t, q, onDelta, streamed, onRestart);
                budget.spend(a.costUsd());
                String esc = policy.escalate(q, next, a);
                if (esc != null && !isTried(tried, esc) && !esc.equals(next)
                        && (targets.get(esc).isFree() || budget.allowsPaid())) {
                    tried.add(next);
                    trace.add(next, Trace.ESCALATED, a.confidence(), policy.reason(q, a));
                    acceptedTried = List.copyOf(tried.subList(0, tried.size() - 1));
                    accepted = a;
                    spent = spent.add(a.costUsd());
                    in += a.inputTokens();
                    out += a.outputTokens();
                    next = esc;
                    continue;
                }
                trace.add(next, Trace.ANSWERED, a.confidence(), null);
                return a.after(tried, spent, in, out).withLatency(System.nanoTime() - t0);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                last = e;
                tried.add(next + "(error)");
                trace.add(next, Trace.FAILED, Double.NaN, "target failed: " + e.getMessage());
                // an escalation that fails falls back to the answer it was meant to improve, not to other targets
                next = accepted != null ? null : nextFallback(tried);
            }
        }
        if (accepted != null) {
            List<String> path = new ArrayList<>(acceptedTried);
            path.addAll(tried.subList(acceptedTried.size() + 1, tried.size())); // the escalations that failed
            return new Answer(accepted.text(), accepted.target(), accepted.confidence(), in, out, spent, System.nanoTime() - t0,
                    accepted.cached(), path);
        }
        throw new RouterException("router '" + name + "': every target failed (tried " + tried + "): "
                + (last != null ? last.getMessage() : "none"), last);
    }

    private static boolean isTried(List<String> tried, String n) {
        return tried.stream().anyMatch(t -> t.equals(n) || t.startsWith(n + "("));
    }

    private String nextFallback(List<String> tried) {
        for (String f : fallbacks) {
            if (!isTried(tried, f)) {
                return f;
            }
        }
        return null;
    }

    private Answer call(Target t, Query q, Consumer<String> onDelta, StringBuilder streamed, Consumer<String> onRestart) throws Exception {
        Forwarder fw = onDelta == null ? null : new Forwarder(t.name(), streamed, onDelta, onRestart);
        Future<Answer> f = calls.submit(() -> fw == null ? t.answer(q) : t.answer(q, fw));
        try {
            Answer a = timeout == null ? f.get() : f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (fw != null) {
                fw.finish();
            }
            return a;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new RouterException(t.name() + " timed out after " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : new RouterException(t.name() + " failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Forwards one attempt's deltas. The client may already hold text streamed by a failed attempt: while
     * this attempt repeats that text nothing is sent; once it goes beyond, only the new part is; if it
     * differs, the client is told to restart and gets this attempt's text from the start. Not thread-safe
     * (one attempt streams from one thread).
     */
    static final class Forwarder implements Consumer<String> {
        private final String target;
        private final StringBuilder streamed;
        private final Consumer<String> onDelta;
        private final Consumer<String> onRestart;
        private final int already;
        private final StringBuilder mine = new StringBuilder();
        private boolean catchingUp;

        Forwarder(String target, StringBuilder streamed, Consumer<String> onDelta, Consumer<String> onRestart) {
            this.target = target;
            this.streamed = streamed;
            this.onDelta = onDelta;
            this.onRestart = onRestart;
            this.already = streamed.length();
            this.catchingUp = already > 0;
        }

        @Override
        public void accept(String d) {
            mine.append(d);
            if (!catchingUp) {
                streamed.append(d);
                onDelta.accept(d);
                return;
            }
            int n = Math.min(mine.length(), already);
            if (!mine.substring(0, n).contentEquals(streamed.subSequence(0, n))) {
                restart();
                return;
            }
            if (mine.length() > already) {
                catchingUp = false;
                String rest = mine.substring(already);
                streamed.append(rest);
                onDelta.accept(rest);
            }
        }

        /** The attempt ended; if it ended shorter than what the client holds, the client must restart. */
        void finish() {
            if (catchingUp && mine.length() < already) {
                restart();
            }
        }

        private void restart() {
            catchingUp = false;
            if (onRestart != null) {
                onRestart.accept("restarted on " + target + " after a failure mid-stream");
            }
            streamed.setLength(0);
            streamed.append(mine);
            onDelta.accept(mine.toString());
        }
    }

    @Override
    public boolean isFree() {
        return targets.values().stream().allMatch(Target::isFree);
    }

    @Override
    public boolean isThreadSafe() {
        return targets.values().stream().allMatch(Target::isThreadSafe);
    }

    @Override
    public void close() throws Exception {
        calls.shutdownNow();
        CloseAll.of(targets.values());
    }

    /**
     * What one request went through: each target tried, in order, with what came of it, the confidence of its answer
     * (NaN when none or unknown) and, for an escalation or a first choice of the strong target, the policy's reason.
     * Not thread-safe (one request fills it).
     */
    public static final class Trace {
        public static final String ROUTED = "routed", ESCALATED = "escalated", ANSWERED = "answered", FAILED = "failed",
                SKIPPED = "skipped";

        /** One step; {@code reason} is null for a plain answer. */
        public record Step(String target, String outcome, double confidence, String reason) {
        }

        private final List<Step> steps = new ArrayList<>();

        void add(String target, String outcome, double confidence, String reason) {
            steps.add(new Step(target, outcome, confidence, reason));
        }

        public List<Step> steps() {
            return List.copyOf(steps);
        }
    }

    /** Routing failed on every target. */
    public static final class RouterException extends Exception {
        public RouterException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
