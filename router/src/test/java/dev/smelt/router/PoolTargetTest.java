package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.smelt.client.TeacherException;
import dev.smelt.client.TimeSource;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A pool over fake replicas (real local HTTP servers): retries, ejection, health checks, affinity, streaming, bad settings. */
class PoolTargetTest {
    /** A replica answering "from-NAME", or failing with a set status; counts what it was asked. */
    static final class Fake implements AutoCloseable {
        final String name;
        final HttpServer server;
        final AtomicInteger chats = new AtomicInteger();
        final AtomicReference<Integer> status = new AtomicReference<>(200);
        final AtomicReference<Integer> health = new AtomicReference<>(200);
        /** When set, streams this text and hangs up without [DONE]. */
        final AtomicReference<String> breakAfter = new AtomicReference<>();

        Fake(String name) throws Exception {
            this.name = name;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/health", ex -> {
                try (ex) {
                    ex.sendResponseHeaders(health.get(), -1);
                }
            });
            server.createContext("/v1/chat/completions", ex -> {
                try (ex) {
                    JsonNode req = dev.smelt.client.Canonical.JSON.readTree(ex.getRequestBody());
                    chats.incrementAndGet();
                    int st = status.get();
                    String body;
                    if (st != 200) {
                        body = "{\"error\":{\"message\":\"fake " + name + " says " + st + "\"}}";
                    } else if (req.path("stream").asBoolean() && breakAfter.get() != null) {
                        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                        ex.sendResponseHeaders(200, 0);
                        ex.getResponseBody().write(("data: {\"choices\":[{\"delta\":{\"content\":\"" + breakAfter.get() + "\"}}]}\n\n")
                                .getBytes(StandardCharsets.UTF_8));
                        return;
                    } else if (req.path("stream").asBoolean()) {
                        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
                        body = "data: {\"choices\":[{\"delta\":{\"content\":\"from-\"}}]}\n\n"
                                + "data: {\"choices\":[{\"delta\":{\"content\":\"" + name + "\"},\"finish_reason\":\"stop\"}]}\n\n"
                                + "data: [DONE]\n\n";
                    } else {
                        body = "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\","
                                + "\"content\":\"from-" + name + "\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
                    }
                    byte[] b = body.getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(st, b.length);
                    ex.getResponseBody().write(b);
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** A virtual clock: sleeping advances it at once (the health thread is off in these tests). */
    static final class VirtualTime implements TimeSource {
        final AtomicLong nanos = new AtomicLong();

        @Override
        public Instant now() {
            return Instant.ofEpochSecond(0).plusNanos(nanos.get());
        }

        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public void sleep(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final VirtualTime time = new VirtualTime();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private Fake fake(String name) throws Exception {
        Fake f = new Fake(name);
        open.add(f);
        return f;
    }

    /** A URL where nothing listens: a port bound and closed again (connections to it are refused). */
    private static String refused() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    private PoolTarget pool(String extra, String... urls) throws Exception {
        String yaml = "{type: pool, model: m, health_interval_seconds: 0, timeout_seconds: 20, replicas: [" + String.join(", ", urls) + "]" + extra + "}";
        PoolTarget p = StandardTargets.pool("fleet", dev.smelt.task.YamlFiles.MAPPER.readTree(yaml), Path.of("."), http, n -> null, time);
        open.add(p);
        return p;
    }

    private static Query q(String text) {
        return new Query("q", text, List.of(Map.of("role", "user", "content", text)), 8);
    }

    @Test
    void aRefusedReplicaIsRetriedElsewhereThenEjectedAndNoRequestFails() throws Exception {
        Fake a = fake("a");
        Fake b = fake("b");
        String dead = refused();
        PoolTarget p = pool("", a.url(), dead, b.url());
        for (int i = 0; i < 30; i++) {
            Answer ans = p.answer(q("hello " + i));
            assertThat(ans.text()).isIn("from-a", "from-b");
            assertThat(ans.target()).isEqualTo("fleet");
        }
        ReplicaPool.Replica down = p.pool().replicas().get(1);
        assertThat(p.pool().ejected(down)).isTrue();
        assertThat(a.chats.get() + b.chats.get()).isEqualTo(30);
    }

    @Test
    void a503BeforeAnyByteIsRetriedOnAnotherReplica() throws Exception {
        Fake a = fake("a");
        Fake b = fake("b");
        b.status.set(503);
        PoolTarget p = pool("", a.url(), b.url());
        for (int i = 0; i < 4; i++) {
            assertThat(p.answer(q("x" + i)).text()).isEqualTo("from-a");
        }
        assertThat(b.chats.get()).isPositive(); // it was tried, and its 503 was retried
    }

    @Test
    void aStreamedRequestIsRetriedBeforeItsFirstByte() throws Exception {
        Fake a = fake("a");
        Fake b = fake("b");
        a.status.set(503);
        PoolTarget p = pool("", a.url(), b.url());
        for (int i = 0; i < 3; i++) {
            StringBuilder got = new StringBuilder();
            Answer ans = p.answer(q("s" + i), got::append);
            assertThat(got.toString()).isEqualTo("from-b");
            assertThat(ans.text()).isEqualTo("from-b");
        }
    }

    @Test
    void aStreamBrokenMidwayContinuesOnAnotherReplicaWhenItRepeatsTheSentText() throws Exception {
        Fake a = fake("a");
        Fake b = fake("b");
        a.breakAfter.set("from-");
        PoolTarget p = pool("", a.url(), b.url());
        for (int i = 0; i < 4; i++) {
            StringBuilder got = new StringBuilder();
            assertThat(p.answer(q("s" + i), got::append).text()).isEqualTo("from-b");
            assertThat(got.toString()).as("what the caller saw, request %d", i).isEqualTo("from-b");
        }
        assertThat(a.chats.get()).isPositive();
    }

    @Test
    void aStreamBrokenMidwayIsNotPatchedWithDifferentText() throws Exception {
        Fake a = fake("a");
        Fake b = fake("b");
        a.breakAfter.set("other ");
        b.breakAfter.set("other ");
        Fake c = fake("c");
        PoolTarget p = pool(", retries: 1", a.url(), b.url());
        StringBuilder got = new StringBuilder();
        assertThatThrownBy(() -> p.answer(q("s"), got::append)).isInstanceOf(dev.smelt.eval.Target.MidStreamException.class);
        assertThat(got.toString()).isEqualTo("other "); // sent once, never twice
        PoolTarget p2 = pool(", retries: 1", a.url(), c.url());
        StringBuilder got2 = new StringBuilder();
        for (int i = 0; i < 2; i++) { // whichever replica comes first, a's "other " and c's "from-c" differ
            got2.setLength(0);
            try {
                p2.answer(q("t" + i), got2::append);
                assertThat(got2.toString()).isEqualTo("from-c");
            } catch (dev.smelt.eval.Target.MidStreamException e) {
                assertThat(got2.toString()).isEqualTo("other ");
            }
        }
    }

    @Test
    void aClientErrorIsReturnedAtOnceAndDoesNotCountAgainstTheReplica() throws Exception {
        Fake a = fake("a");
        a.status.set(400);
        PoolTarget p = pool(", retries: 2", a.url());
        for (int i = 0; i < 6; i++) {
            assertThatThrownBy(() -> p.answer(q("bad"))).isInstanceOf(TeacherException.class).hasMessageContaining("fake a says 400");
        }
        assertThat(a.chats.get()).isEqualTo(6);
        assertThat(p.pool().ejected(p.pool().replicas().get(0))).isFalse();
    }

    @Test
    void whenEveryReplicaFailsTheErrorNamesEach() throws Exception {
        String d1 = refused();
        String d2 = refused();
        PoolTarget p = pool("", d1, d2);
        assertThatThrownBy(() -> p.answer(q("x"))).isInstanceOf(TeacherException.class)
                .hasMessageContaining("pool 'fleet': no replica answered").hasMessageContaining(d1).hasMessageContaining(d2);
    }

    @Test
    void failingHealthChecksDrainAReplicaAndAPassingOneBringsItBack() throws Exception {
        Fake a = fake("a");
        Fake b = fake("b");
        b.health.set(503);
        PoolTarget p = pool("", a.url(), b.url());
        p.checkHealth();
        p.checkHealth();
        for (int i = 0; i < 6; i++) {
            assertThat(p.answer(q("x" + i)).text()).isEqualTo("from-a");
        }
        assertThat(b.chats.get()).isZero();
        b.health.set(200);
        p.checkHealth();
        int before = b.chats.get();
        for (int i = 0; i < 6; i++) {
            p.answer(q("y" + i));
        }
        assertThat(b.chats.get() - before).isEqualTo(3);
    }

    @Test
    void anEjectedReplicaReturnsAfterItsEjectionTime() throws Exception {
        Fake a = fake("a");
        Fake b = fake("b");
        b.status.set(500);
        PoolTarget p = pool(", consecutive_failures: 2, base_ejection_seconds: 10", a.url(), b.url());
        for (int i = 0; i < 8; i++) {
            assertThat(p.answer(q("x" + i)).text()).isEqualTo("from-a");
        }
        ReplicaPool.Replica rb = p.pool().replicas().get(1);
        assertThat(p.pool().ejected(rb)).isTrue();
        int tried = b.chats.get();
        assertThat(tried).isEqualTo(2); // ejected after its second failure: nothing more reached it
        b.status.set(200);
        time.sleep(Duration.ofSeconds(10));
        boolean answeredByB = false;
        for (int i = 0; i < 4; i++) {
            answeredByB |= p.answer(q("z" + i)).text().equals("from-b");
        }
        assertThat(answeredByB).isTrue();
    }

    @Test
    void requestsSharingALongPrefixGoToOneReplica() throws Exception {
        List<Fake> fakes = List.of(fake("a"), fake("b"), fake("c"));
        PoolTarget p = pool(", affinity_prefix_chars: 40", fakes.get(0).url(), fakes.get(1).url(), fakes.get(2).url());
        String shared = "You are a support agent for ACME. Answer briefly. ";
        String first = p.answer(q(shared + "question 0")).text();
        for (int i = 1; i < 12; i++) {
            assertThat(p.answer(q(shared + "question " + i)).text()).isEqualTo(first);
        }
        List<String> short_ = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            short_.add(p.answer(q("hi " + i)).text()); // shorter than the prefix: balanced instead
        }
        assertThat(short_).contains("from-a", "from-b", "from-c");
    }

    @Test
    void badPoolSettingsNameTheTargetAndField() {
        assertThatThrownBy(() -> pool("", "ftp://x")).hasMessageContaining("target 'fleet': replicas[0] must be an http(s) URL");
        assertThatThrownBy(() -> StandardTargets.pool("fleet", dev.smelt.task.YamlFiles.MAPPER.readTree("{type: pool, model: m}"), Path.of("."),
                http, n -> null, time)).hasMessageContaining("'replicas' must be a non-empty list");
        assertThatThrownBy(() -> pool(", base_ejection_seconds: -1", "http://127.0.0.1:1")).hasMessageContaining("base_ejection_seconds");
    }
}
