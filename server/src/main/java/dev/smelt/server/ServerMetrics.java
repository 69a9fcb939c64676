package dev.smelt.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.ToDoubleFunction;

/** Prometheus metrics (Micrometer): requests, tokens in/out, queue depth, TTFT, step throughput, KV use. Thread-safe. */
final class ServerMetrics implements AutoCloseable {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** GC notifications (live data after a collection: the "memory stays flat" signal of a soak); closed with the server. */
    private final io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gc = new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();

    ServerMetrics(ModelRegistry models, EngineWatchdog watchdog) {
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry); // heap use, for soak runs
        gc.bindTo(registry);
        gauge("smelt_models_loaded", "models in memory", models, m -> m.loadedModels().size());
        gauge("smelt_queue_depth", "requests waiting for a slot", models, m -> sum(m, s -> s.engine().queueDepth()));
        gauge("smelt_requests_active", "requests holding a slot", models, m -> sum(m, s -> s.engine().activeRequests()));
        gauge("smelt_kv_cache_used_tokens", "KV positions in use", models, m -> sum(m, s -> s.engine().kvUsage()[0]));
        gauge("smelt_kv_cache_capacity_tokens", "KV positions allocated for slots", models, m -> sum(m, s -> s.engine().kvUsage()[1]));
        Gauge.builder("smelt_engines_unhealthy", watchdog, w -> w.problems().size())
                .description("engines stopped or without progress while work waits (/health is 503 while > 0)").register(registry);
        Gauge.builder("smelt_engine_stalled_seconds", watchdog, EngineWatchdog::maxStallSeconds)
                .description("longest time any engine has gone without a step while work waits").register(registry);
        FunctionCounter.builder("smelt_engine_failed_requests", models, m -> sum(m, s -> s.engine().stats().failedRequests.get()))
                .description("generations ended by an error inside the engine (answered 500; the engine went on)").register(registry);
        FunctionCounter.builder("smelt_engine_failed_steps", models, m -> sum(m, s -> s.engine().stats().failedSteps.get()))
                .description("forward steps that threw (their requests failed; the engine went on)").register(registry);
        FunctionCounter.builder("smelt_prompt_tokens", models, m -> sum(m, s -> s.engine().stats().promptTokens.get()))
                .description("prompt tokens processed").register(registry);
        FunctionCounter.builder("smelt_prompt_tokens_reused", models, m -> sum(m, s -> s.engine().stats().promptTokensReused.get()))
                .description("prompt tokens served from a slot's cache").register(registry);
        FunctionCounter.builder("smelt_prompt_prefix_copies", models, m -> sum(m, s -> s.engine().stats().promptPrefixCopies.get()))
                .description("requests whose prompt prefix was copied from another slot's cache").register(registry);
        FunctionCounter.builder("smelt_generated_tokens", models, m -> sum(m, s -> s.engine().stats().generatedTokens.get()))
                .description("tokens generated").register(registry);
        FunctionCounter.builder("smelt_jump_forward_tokens", models, m -> sum(m, s -> s.engine().stats().jumpForwardTokens.get()))
                .description("tokens a JSON schema forced, appended without sampling (jump-forward decoding)").register(registry);
        FunctionCounter.builder("smelt_draft_tokens", models, m -> sum(m, s -> s.engine().stats().draftTokens.get()))
                .description("speculative draft tokens verified").register(registry);
        FunctionCounter.builder("smelt_draft_accepted_tokens", models, m -> sum(m, s -> s.engine().stats().draftAccepted.get()))
                .description("speculative draft tokens the model agreed with").register(registry);
        gauge("smelt_draft_acceptance_ratio", "accepted / verified draft tokens since start (0 before any draft)", models, m -> {
            double drafted = sum(m, s -> s.engine().stats().draftTokens.get());
            return drafted == 0 ? 0 : sum(m, s -> s.engine().stats().draftAccepted.get()) / drafted;
        });
        FunctionCounter.builder("smelt_engine_step_seconds", models, m -> sum(m, s -> s.engine().stats().stepNanos.get()) / 1e9)
                .description("time spent in forward steps").register(registry);
        FunctionCounter.builder("smelt_engine_step_tokens", models, m -> sum(m, s -> s.engine().stats().stepTokens.get()))
                .description("tokens processed by forward steps (tokens/s = rate of this over rate of step seconds)").register(registry);
    }

    private void gauge(String name, String help, ModelRegistry models, ToDoubleFunction<ModelRegistry> f) {
        Gauge.builder(name, models, f).description(help).register(registry);
    }

    private static double sum(ModelRegistry m, ToDoubleFunction<ServedModel> f) {
        double s = 0;
        for (ServedModel x : m.loadedModels()) {
            s += f.applyAsDouble(x);
        }
        return s;
    }

    void request(String route, int status, Duration d) {
        Counter.builder("smelt_http_requests").tag("route", route).tag("status", Integer.toString(status)).register(registry).increment();
        Timer.builder("smelt_http_request_duration").tag("route", route).publishPercentiles(0.5, 0.99).register(registry).record(d);
    }

    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
