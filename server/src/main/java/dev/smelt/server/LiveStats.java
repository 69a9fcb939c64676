package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.server.http.SampleStream;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * {@code GET /api/smelt/stats}: a Server-Sent Events stream of the server's state for the dashboard, one
 * {@code stats} event per period: loaded models (adapters, keep-alive left, slots busy, queue, KV use), totals, the
 * generation rate and mean time to first token over the last period (from the engines' counters, not from
 * {@code /metrics} text), and the watchdog's problems. Each connection keeps its own previous sample, so rates are
 * per connection and no state is shared. Thread-safe; each stream runs on its request's (virtual) thread.
 */
final class LiveStats {
    /** How often a sample is sent. */
    static final Duration DEFAULT_PERIOD = SampleStream.DEFAULT_PERIOD;

    private final ModelRegistry models;
    private final EngineWatchdog watchdog;
    private final int slotsPerModel;
    private final LongSupplier nanos;
    private final SampleStream stream;

    LiveStats(ModelRegistry models, EngineWatchdog watchdog, int slotsPerModel, LongSupplier nanos, Duration period) {
        this.models = models;
        this.watchdog = watchdog;
        this.slotsPerModel = slotsPerModel;
        this.nanos = nanos;
        this.stream = new SampleStream("/api/smelt/stats", period, this::sampler);
    }

    /** The engines' cumulative counters at one instant. */
    record Counters(long atNanos, long generated, long firstTokenNanos, long firstTokens) {
    }

    Counters counters() {
        long gen = 0, ftn = 0, ftc = 0;
        for (ServedModel m : models.loadedModels()) {
            var s = m.engine().stats();
            gen += s.generatedTokens.get();
            ftn += s.firstTokenNanosTotal.get();
            ftc += s.firstTokenCount.get();
        }
        return new Counters(nanos.getAsLong(), gen, ftn, ftc);
    }

    /** One sample; rates over the time since {@code prev} (null: none yet, rates are null). */
    ObjectNode sample(Counters prev, Counters now) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode list = o.putArray("models");
        long busy = 0, queued = 0, total = 0;
        for (ServedModel m : models.loadedModels()) {
            var e = m.engine();
            long[] kv = e.kvUsage();
            long left = models.expiresAtNanos(m);
            ObjectNode x = list.addObject().put("name", m.name()).put("slots", slotsPerModel).put("slots_busy", e.activeRequests())
                    .put("queue_depth", e.queueDepth()).put("kv_used_tokens", kv[0]).put("kv_capacity_tokens", kv[1])
                    .put("generated_tokens", e.stats().generatedTokens.get());
            if (left == Long.MAX_VALUE) {
                x.putNull("keep_alive_seconds_left");
            } else {
                x.put("keep_alive_seconds_left", Math.max(0, (left - models.nowNanos()) / 1_000_000_000L));
            }
            models.adapters(m.name()).forEach(x.putArray("adapters")::add);
            busy += e.activeRequests();
            queued += e.queueDepth();
            total += slotsPerModel;
        }
        o.put("slots_busy", busy).put("slots_total", total).put("queue_depth", queued).put("generated_tokens", now.generated());
        double seconds = prev == null ? 0 : (now.atNanos() - prev.atNanos()) / 1e9;
        if (prev != null && seconds > 0) {
            o.put("tokens_per_second", Math.max(0, now.generated() - prev.generated()) / seconds);
        } else {
            o.putNull("tokens_per_second");
        }
        long firsts = prev == null ? 0 : now.firstTokens() - prev.firstTokens();
        if (firsts > 0) {
            o.put("ttft_ms", (now.firstTokenNanos() - prev.firstTokenNanos()) / 1e6 / firsts);
        } else {
            o.putNull("ttft_ms"); // no request started generating in this period
        }
        var problems = watchdog.problems();
        o.put("healthy", problems.isEmpty());
        problems.forEach(o.putArray("problems")::add);
        return o;
    }

    /** The route: the samples as a {@link SampleStream}, each connection with its own previous counters. */
    void handle(Context ctx) throws Exception {
        stream.handle(ctx);
    }

    private SampleStream.Sampler sampler() {
        Counters[] prev = {null};
        return () -> {
            Counters now = counters();
            ObjectNode s = sample(prev[0], now);
            prev[0] = now;
            return s;
        };
    }

    /** Ends every stream at its next sample (server shutdown). */
    void close() {
        stream.close();
    }
}
