package dev.smelt.router;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import dev.smelt.eval.Answer;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the router dashboard shows, counted from the requests {@code smelt route} answered: the realized share of
 * requests that called the strong target (over the last window and since start) against the budget's target, the
 * cumulative cost against an estimate of "the strong target for everything", requests per answering target, the
 * reasons for escalations, latency percentiles per path, the share controller's threshold moves, and the latest
 * escalated requests. Memory is bounded: the last {@link #POINTS} per-request points, the last {@link #LATENCIES}
 * latencies per path, the last {@link #ESCALATED} escalations. Privacy: of a prompt only its first
 * {@link #PROMPT_CHARS} characters are kept, in memory only. Thread-safe (synchronized).
 */
public final class RouterStats {
    /** Per-request chart points kept (and sent to a new dashboard). */
    static final int POINTS = 2000;
    /** Latencies kept per path for the percentiles. */
    static final int LATENCIES = 1000;
    /** Escalated requests kept for the table. */
    static final int ESCALATED = 50;
    /** Threshold moves sent. */
    static final int ADJUSTMENTS = 100;
    /** Characters of a prompt kept for the escalations table; the rest is never stored. */
    public static final int PROMPT_CHARS = 80;
    /** Characters of a failure message kept as an escalation reason. */
    private static final int REASON_CHARS = 160;

    private final String weak;
    private final String strong;
    private final ShareController controller; // null: no budget_share in the router file
    private final java.util.function.DoubleSupplier threshold;
    private final int window;
    private final boolean[] inWindow; // whether each of the last `window` requests called the strong target
    private long requests;
    private long errors;
    private long strongCalls;
    private int strongInWindow;
    private BigDecimal cost = BigDecimal.ZERO;
    private BigDecimal strongAnswerCost = BigDecimal.ZERO; // cost of the answers the strong target gave
    private long strongAnswers;
    private final Map<String, Long> perTarget = new TreeMap<>();
    private final Map<String, Long> reasons = new TreeMap<>();
    private final Map<String, Deque<Long>> latencies = new LinkedHashMap<>();
    private final Deque<ObjectNode> points = new ArrayDeque<>();
    private final Deque<ObjectNode> escalated = new ArrayDeque<>();

    /** Stats of {@code router}: its policy names the weak and strong targets; a budgeted policy gives its controller. */
    public RouterStats(Router router) {
        Policy p = router.policy();
        this.weak = p.weak();
        this.strong = p.strong();
        this.controller = p instanceof BudgetedPolicy b ? b.controller() : null;
        this.threshold = p::threshold;
        this.window = controller != null ? controller.window() : ShareController.DEFAULT_WINDOW;
        this.inWindow = new boolean[window];
    }

    /**
     * Counts one answered request. {@code answer} is null when every target failed; {@code prompt} is the routed
     * input (only its start is kept).
     */
    public synchronized void record(Instant at, String prompt, Answer answer, Router.Trace trace, long latencyNanos) {
        List<Router.Trace.Step> steps = trace.steps();
        boolean calledStrong = steps.stream().anyMatch(s -> s.target().equals(strong) && !s.outcome().equals(Router.Trace.SKIPPED));
        int slot = (int) (requests % window);
        if (requests >= window && inWindow[slot]) {
            strongInWindow--;
        }
        inWindow[slot] = calledStrong;
        strongInWindow += calledStrong ? 1 : 0;
        strongCalls += calledStrong ? 1 : 0;
        requests++;
        String answeredBy = answer == null ? "error" : answer.target();
        perTarget.merge(answeredBy, 1L, Long::sum);
        if (answer == null) {
            errors++;
        } else {
            cost = cost.add(answer.costUsd());
            if (answer.target().equals(strong)) {
                strongAnswers++;
                strongAnswerCost = strongAnswerCost.add(answer.costUsd());
            }
        }
        String path = path(steps, answeredBy);
        Deque<Long> l = latencies.computeIfAbsent(path, k -> new ArrayDeque<>());
        l.addLast(latencyNanos);
        if (l.size() > LATENCIES) {
            l.removeFirst();
        }
        List<Router.Trace.Step> why = steps.stream().filter(s -> s.reason() != null).toList();
        why.forEach(s -> reasons.merge(cut(s.reason(), REASON_CHARS), 1L, Long::sum));
        ObjectNode pt = Canonical.JSON.createObjectNode().put("request", requests).put("window_share", windowShare())
                .put("cumulative_share", (double) strongCalls / requests).put("cost_usd", cost.doubleValue())
                .put("threshold", finite(threshold.getAsDouble()));
        putEstimate(pt);
        add(points, pt, POINTS);
        if (!why.isEmpty()) {
            ObjectNode e = Canonical.JSON.createObjectNode().put("request", requests).put("at", at.toString())
                    .put("prompt", cut(prompt, PROMPT_CHARS)).put("path", path).put("answered_by", answeredBy)
                    .put("reason", String.join("; ", why.stream().map(s -> cut(s.reason(), REASON_CHARS)).toList()))
                    .put("latency_ms", latencyNanos / 1e6).put("cost_usd", answer == null ? 0 : answer.costUsd().doubleValue());
            double conf = why.stream().filter(s -> !Double.isNaN(s.confidence())).mapToDouble(Router.Trace.Step::confidence).findFirst()
                    .orElse(Double.NaN);
            if (Double.isNaN(conf)) {
                e.putNull("confidence");
            } else {
                e.put("confidence", conf);
            }
            add(escalated, e, ESCALATED);
        }
    }

    /** The targets tried, in order, as "small → teacher"; failed and skipped ones are marked. */
    private static String path(List<Router.Trace.Step> steps, String answeredBy) {
        StringBuilder b = new StringBuilder();
        String prev = null;
        for (Router.Trace.Step s : steps) {
            String part = s.target() + switch (s.outcome()) {
                case Router.Trace.FAILED -> " (failed)";
                case Router.Trace.SKIPPED -> " (skipped)";
                default -> "";
            };
            if (!part.equals(prev)) { // "routed" then "answered" by the same target is one hop
                b.append(b.isEmpty() ? "" : " → ").append(part);
            }
            prev = part;
        }
        return b.isEmpty() ? answeredBy : b.toString();
    }

    private double windowShare() {
        return requests == 0 ? 0 : (double) strongInWindow / Math.min(requests, window);
    }

    /** "The strong target for everything": the mean cost of its answers so far times the requests; null before it answered. */
    private void putEstimate(ObjectNode o) {
        if (strongAnswers == 0) {
            o.putNull("strong_for_everything_usd");
        } else {
            o.put("strong_for_everything_usd", strongAnswerCost.doubleValue() / strongAnswers * requests);
        }
    }

    private static <T> void add(Deque<T> d, T x, int max) {
        d.addLast(x);
        if (d.size() > max) {
            d.removeFirst();
        }
    }

    /** The first {@code max} characters (by code point), marked with an ellipsis when cut. */
    static String cut(String s, int max) {
        if (s == null) {
            return "";
        }
        if (s.codePointCount(0, s.length()) <= max) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, max)) + "…";
    }

    private static double finite(double d) {
        return Double.isFinite(d) ? d : Double.MAX_VALUE; // JSON has no infinity; "never" shows as a huge threshold
    }

    /**
     * The dashboard's sample: the totals now, and the per-request points after request {@code after} (0: every point
     * kept), oldest first.
     */
    public synchronized ObjectNode sample(long after) {
        ObjectNode o = Canonical.JSON.createObjectNode().put("weak", weak).put("strong", strong).put("requests", requests)
                .put("errors", errors);
        ObjectNode share = o.putObject("share").put("window", window).put("window_share", windowShare())
                .put("cumulative_share", requests == 0 ? 0 : (double) strongCalls / requests).put("strong_calls", strongCalls)
                .put("threshold", finite(threshold.getAsDouble()));
        if (controller != null) {
            share.put("target", controller.target()).put("mode", controller.mode().name().toLowerCase(java.util.Locale.ROOT))
                    .put("held_back", controller.heldBack());
        } else {
            share.putNull("target").putNull("mode");
        }
        ObjectNode c = o.putObject("cost").put("total_usd", cost.doubleValue()).put("strong_answers", strongAnswers);
        putEstimate(c);
        ObjectNode t = o.putObject("targets");
        perTarget.forEach(t::put);
        ObjectNode r = o.putObject("reasons");
        reasons.forEach(r::put);
        ArrayNode lat = o.putArray("latency");
        latencies.forEach((path, l) -> {
            long[] sorted = l.stream().mapToLong(Long::longValue).sorted().toArray();
            lat.addObject().put("path", path).put("count", sorted.length).put("p50_ms", percentile(sorted, 0.50) / 1e6)
                    .put("p95_ms", percentile(sorted, 0.95) / 1e6);
        });
        ArrayNode pts = o.putArray("points");
        points.stream().filter(p -> p.get("request").asLong() > after).forEach(pts::add);
        ArrayNode adj = o.putArray("adjustments");
        if (controller != null) {
            for (ShareController.Adjustment a : controller.lastAdjustments(ADJUSTMENTS)) {
                adj.addObject().put("request", a.request()).put("from", finite(a.from())).put("to", finite(a.to()))
                        .put("window_share", a.windowShare());
            }
        }
        ArrayNode esc = o.putArray("escalated");
        escalated.descendingIterator().forEachRemaining(esc::add); // newest first
        return o;
    }

    /** Nearest-rank percentile of sorted values (q in (0, 1]). */
    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }
}
