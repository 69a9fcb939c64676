package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.runtime.engine.GenerationRequest;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.server.http.ApiException;
import dev.smelt.testkit.SharedData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Loading a model does not hold the registry: other models answer meanwhile, and one load serves every waiter. */
class ModelRegistryLoadingTest {
    private static final ServerConfig CFG = new ServerConfig("127.0.0.1", 0, List.of("k"), false, List.of(), 1, 1, 64, 2,
            Duration.ofMinutes(1), false);

    @Test
    void otherModelsAnswerWhileOneLoads() throws Exception {
        Path file = SharedData.model("shakespeare.gguf");
        GgufModelLoader real = new GgufModelLoader(Map.of("slow", file, "fast", file, "broken", file), CFG);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger slowLoads = new AtomicInteger();
        AtomicInteger brokenLoads = new AtomicInteger();
        ModelRegistry.Loader slowLoader = name -> {
            if (name.equals("slow")) {
                slowLoads.incrementAndGet();
                started.countDown();
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("test never released the slow load");
                }
            }
            if (name.equals("broken") && brokenLoads.incrementAndGet() == 1) {
                throw new java.io.IOException("disk hiccup");
            }
            return real.load(name);
        };
        // own threads: the common pool may have a single worker on a small machine
        try (java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
             ModelRegistry reg = new ModelRegistry(List.of("slow", "fast", "broken"), Map.of(), slowLoader, Duration.ofMinutes(5),
                System::nanoTime, false)) {
            CompletableFuture<ModelRegistry.Lease> slow1 = CompletableFuture.supplyAsync(() -> reg.acquire("slow"), threads);
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<ModelRegistry.Lease> slow2 = CompletableFuture.supplyAsync(() -> reg.acquire("slow"), threads);
            // while "slow" is still loading: another model loads and answers, listings answer
            try (ModelRegistry.Lease fast = CompletableFuture.supplyAsync(() -> reg.acquire("fast"), threads).get(30, TimeUnit.SECONDS)) {
                assertThat(fast.model().name()).isEqualTo("fast");
                GenerationRequest req = new GenerationRequest(new int[] {1, 40}, SamplerConfig.greedy(), 3, t -> false, null);
                assertThat(fast.model().engine().submit(req).result().get(30, TimeUnit.SECONDS).tokens()).hasSize(3);
            }
            assertThat(reg.isLoaded("slow")).isFalse();
            assertThat(reg.names()).contains("slow", "fast");
            assertThat(slow1).isNotDone();
            assertThat(slow2).isNotDone();
            release.countDown();
            try (ModelRegistry.Lease a = slow1.get(30, TimeUnit.SECONDS); ModelRegistry.Lease b = slow2.get(30, TimeUnit.SECONDS)) {
                assertThat(a.model()).as("one load serves both waiters").isSameAs(b.model());
            }
            assertThat(slowLoads.get()).isEqualTo(1);
            // a failed load is reported and not remembered: the next request tries again
            assertThatThrownBy(() -> reg.acquire("broken")).isInstanceOf(ApiException.class).hasMessageContaining("disk hiccup");
            try (ModelRegistry.Lease ok = reg.acquire("broken")) {
                assertThat(ok.model().name()).isEqualTo("broken");
            }
        }
    }
}
