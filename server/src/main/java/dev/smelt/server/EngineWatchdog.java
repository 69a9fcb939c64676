package dev.smelt.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Judges the engines of the loaded models for {@code /health} and {@code /metrics}: an engine whose thread has ended,
 * or that made no progress for {@link #stall} while requests wait or run (a wedged step), is unhealthy. Each engine
 * measures its own stall ({@code BatchEngine.stalledNanos}, on its injected clock). Stateless; thread-safe.
 */
final class EngineWatchdog {
    /**
     * No step for this long while work waits means wedged: far above one step (at most 256 tokens: well under a
     * second on the models smelt serves, a few seconds on a loaded machine).
     */
    static final Duration DEFAULT_STALL = Duration.ofSeconds(60);

    private final ModelRegistry models;
    private final long stallNanos;

    EngineWatchdog(ModelRegistry models, Duration stall) {
        this.models = models;
        this.stallNanos = stall.toNanos();
    }

    /** One line per unhealthy engine, naming the model; empty when all are healthy. */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        for (ServedModel m : models.loadedModels()) {
            var e = m.engine();
            if (!e.alive()) {
                out.add("the engine of model '" + m.name() + "' has stopped");
            } else if (e.stalledNanos() >= stallNanos) {
                out.add("the engine of model '" + m.name() + "' made no progress for " + e.stalledNanos() / 1_000_000_000L + " s with "
                        + e.activeRequests() + " requests running and " + e.queueDepth() + " waiting");
            }
        }
        return out;
    }

    /** Longest stall of any engine, in seconds (0 when all are idle or stepping). */
    double maxStallSeconds() {
        long max = 0;
        for (ServedModel m : models.loadedModels()) {
            max = Math.max(max, m.engine().stalledNanos());
        }
        return max / 1e9;
    }
}
