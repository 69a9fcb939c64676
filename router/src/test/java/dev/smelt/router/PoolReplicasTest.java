package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.client.TimeSource;
import dev.smelt.eval.Query;
import dev.smelt.server.GgufModelLoader;
import dev.smelt.server.ModelRegistry;
import dev.smelt.server.ServerConfig;
import dev.smelt.server.SmeltServer;
import dev.smelt.testkit.SharedData;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three real in-process {@code smelt serve} servers (a tiny reference model) behind a pool: one is stopped
 * mid-load (in-flight requests cut, no grace) and restarted on its port; no client request fails, and the
 * restarted replica takes requests again. Progress is gated on request counts, not on sleeps.
 */
class PoolReplicasTest {
    private static final int CLIENTS = 6;
    private static final int PER_CLIENT = 6;
    private final SmeltServer[] servers = new SmeltServer[3];
    private final int[] ports = new int[3];
    private PoolTarget pool;

    private SmeltServer start(int i, int port) {
        ServerConfig cfg = new ServerConfig("127.0.0.1", port, List.of(), false, List.of(), 1, 2, 1024, 64, Duration.ofMinutes(5), false);
        ModelRegistry registry = new ModelRegistry(List.of("q"), Map.of(),
                new GgufModelLoader(Map.of("q", SharedData.model("qwen2-Q8_0.gguf")), cfg), cfg.keepAlive());
        servers[i] = new SmeltServer(cfg, registry, Clock.systemUTC());
        ports[i] = servers[i].start();
        return servers[i];
    }

    @AfterEach
    void stop() throws Exception {
        if (pool != null) {
            pool.close();
        }
        for (SmeltServer s : servers) {
            if (s != null) {
                s.close(Duration.ZERO);
            }
        }
    }

    private static Query q(int client, int n) {
        return new Query("c" + client + "." + n, "q", List.of(Map.of("role", "user", "content", "Tell me about ticket " + client + "." + n)), 8);
    }

    @Test
    void aReplicaStoppedMidLoadAndRestartedFailsNoRequest() throws Exception {
        for (int i = 0; i < 3; i++) {
            start(i, 0);
        }
        String yaml = "{type: pool, model: q, health_interval_seconds: 0.2, consecutive_failures: 2, base_ejection_seconds: 0.5, "
                + "timeout_seconds: 120, retries: 2, replicas: [http://127.0.0.1:" + ports[0] + ", http://127.0.0.1:" + ports[1]
                + ", http://127.0.0.1:" + ports[2] + "]}";
        pool = StandardTargets.pool("fleet", dev.smelt.task.YamlFiles.MAPPER.readTree(yaml), Path.of("."), HttpClient.newHttpClient(),
                n -> null, TimeSource.SYSTEM);
        AtomicInteger done = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int id = c;
            fs.add(clients.submit(() -> {
                for (int n = 0; n < PER_CLIENT; n++) {
                    try {
                        pool.answer(q(id, n));
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                    done.incrementAndGet();
                }
            }));
        }
        int total = CLIENTS * PER_CLIENT;
        awaitCount(done, total / 4);
        servers[1].close(Duration.ZERO); // in-flight requests on it are cut
        awaitCount(done, total / 2);
        start(1, ports[1]);
        for (Future<?> f : fs) {
            f.get();
        }
        clients.shutdown();
        assertThat(failures).as("failed client requests").isEmpty();
        assertThat(done.get()).isEqualTo(total);

        ReplicaPool.Replica restarted = pool.pool().replicas().get(1);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!pool.pool().available(restarted) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(pool.pool().available(restarted)).as("the restarted replica is back in the pool").isTrue();
        long before = servers[1].models().get("q").engine().stats().finished.get();
        for (int n = 0; n < 6; n++) {
            pool.answer(q(99, n)); // one at a time: least-outstanding goes round-robin
        }
        assertThat(servers[1].models().get("q").engine().stats().finished.get() - before).as("requests the restarted replica answered")
                .isPositive();
    }

    private static void awaitCount(AtomicInteger n, int target) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (n.get() < target && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
