package dev.smelt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.FlakyServer.Act;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeacherClientTest {
    private static final Prices PRICES = Prices.of(0.15, 0.60);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final FakeTime time = new FakeTime();
    /**
     * Per-attempt timeout. Real time (only backoff sleeps are faked), so it must be far above a cold, loaded
     * JVM's first loopback requests: at 400 ms CI once retried an OK answer and the counts below were off by one.
     */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private TeacherClient client(FlakyServer s, Path cache, int concurrency) throws IOException {
        return client(s, cache, concurrency, ATTEMPT_TIMEOUT);
    }

    private TeacherClient client(FlakyServer s, Path cache, int concurrency, Duration attemptTimeout) throws IOException {
        TeacherConfig c = TeacherConfig.of(s.url(), "teacher-x").withCache(cache).withLimits(concurrency, 0, 0)
                .withRetry(new RetryPolicy(6, Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofSeconds(60), new SplittableRandom(7)),
                        attemptTimeout)
                .withPrices(PRICES);
        return new TeacherClient(c, http, time, Map.<String, String>of()::get);
    }

    private static List<ObjectNode> requests(TeacherClient c, int n) {
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(c.newRequest(List.of(Map.of("role", "system", "content", "classify"), Map.of("role", "user", "content", "in" + i)), 8, 2));
        }
        return out;
    }

    /** Input i misbehaves by i % 8 on its first try (and 500 twice for i % 8 == 3), then answers. */
    private static Act misbehave(String input, int attempt) {
        int i = Integer.parseInt(input.substring(2));
        return switch (i % 8) {
            case 0 -> attempt == 0 ? Act.RATE_LIMITED : Act.OK;
            case 1 -> attempt == 0 ? Act.RATE_LIMITED_DATE : Act.OK;
            case 2 -> attempt == 0 ? Act.UNAVAILABLE : Act.OK;
            case 3 -> attempt < 2 ? Act.ERROR_500 : Act.OK;
            case 4 -> attempt == 0 ? Act.MALFORMED : Act.OK;
            case 5 -> attempt == 0 ? Act.TRUNCATED : Act.OK;
            case 6 -> i == 6 && attempt == 0 ? Act.SLOW : Act.OK; // one timeout keeps the test quick
            default -> Act.OK;
        };
    }

    @Test
    void everyInputIsLabelledExactlyOnceDespiteMisbehaviourAndCostsAddUp() throws Exception {
        int n = 40;
        try (FlakyServer s = new FlakyServer(TeacherClientTest::misbehave); TeacherClient c = client(s, dir.resolve("cache.jsonl"), 6)) {
            List<TeacherClient.Outcome> out = c.completeAll(requests(c, n));
            BigDecimal sum = BigDecimal.ZERO;
            for (int i = 0; i < n; i++) {
                TeacherClient.Outcome o = out.get(i);
                assertThat(o.error()).as("input %d", i).isNull();
                assertThat(o.response().content()).isEqualTo("label:in" + i);
                assertThat(o.response().logprobs()).singleElement().satisfies(t -> assertThat(t.logprob()).isEqualTo(-0.25));
                sum = sum.add(PRICES.cost(o.response().promptTokens(), o.response().completionTokens()));
                if (i != 6) { // a timed-out answer may have been written before the client hung up
                    assertThat(s.answered.get("in" + i)).as("answers delivered for input %d", i).hasValue(1);
                }
            }
            CostMeter.Snapshot m = c.meter().snapshot();
            assertThat(m.paidCalls()).isEqualTo(n);
            assertThat(m.failures()).isZero();
            // retries: 5 inputs each of cases 0,1,2,4,5; 2 per case-3 input; one timeout
            assertThat(m.retries()).isEqualTo(5 * 5 + 5 * 2 + 1);
            assertThat(m.malformedResponses()).isEqualTo(10);
            // prompt tokens = len("inI"): 10 inputs of 3 chars, 30 of 4; 3 output tokens each
            long in = 10 * 3 + 30 * 4;
            assertThat(m.paidInputTokens()).isEqualTo(in);
            assertThat(m.paidOutputTokens()).isEqualTo(3L * n);
            assertThat(m.costUsd()).isEqualByComparingTo(sum);
            assertThat(m.costUsd()).isEqualByComparingTo(new BigDecimal("0.0000945")); // (150·0.15 + 120·0.60) / 1e6
            // Retry-After: 2 honoured exactly for each of the 5 inputs that got it (backoff is capped below 2 s here)
            assertThat(time.sleeps.stream().filter(d -> d.equals(Duration.ofSeconds(2))).count()).isEqualTo(5);
        }
    }

    private static long cacheLines(Path f) throws IOException {
        if (!Files.exists(f)) {
            return 0;
        }
        try (var lines = Files.lines(f, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.endsWith("}")).count();
        }
    }

    @Test
    void aKilledRunLosesNothingAndTheRerunNeverAsksAgain() throws Exception {
        int n = 20;
        Path cacheFile = dir.resolve("cache.jsonl");
        // first run: inputs >= 10 hang; the run is killed (client closed, threads interrupted) while they wait
        try (FlakyServer s = new FlakyServer((in, a) -> Integer.parseInt(in.substring(2)) < 10 ? Act.OK : Act.HANG)) {
            // hanging attempts hold the 4 permits until they time out: short timeouts let the OK inputs through
            // (an OK answer that times out is retried, and cached once; the loop below waits for the cache)
            TeacherClient c = client(s, cacheFile, 4, Duration.ofSeconds(1));
            AtomicReference<Throwable> runError = new AtomicReference<>();
            Thread run = Thread.ofPlatform().start(() -> {
                try {
                    c.completeAll(requests(c, n));
                } catch (Throwable t) {
                    runError.set(t);
                }
            });
            long deadline = System.nanoTime() + 60_000_000_000L;
            // the run is killed once the 10 answers are in the cache file (not merely sent by the server)
            while (s.okTotal.get() < 10 || cacheLines(cacheFile) < 10) {
                assertThat(System.nanoTime()).as("10 cached answers within 60 s (sent %d, cached %d)", s.okTotal.get(), cacheLines(cacheFile)).isLessThan(deadline);
                Thread.sleep(10);
            }
            run.interrupt();
            c.close();
            run.join(10_000);
            assertThat(run.isAlive()).isFalse();
            assertThat(runError.get()).isInstanceOf(InterruptedException.class);
        }
        // the crash also tore the last record in half
        Files.writeString(cacheFile, "{\"key\":\"abc\",\"respo", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        try (FlakyServer s = new FlakyServer((in, a) -> Act.OK); TeacherClient c = client(s, cacheFile, 4)) {
            List<TeacherClient.Outcome> out = c.completeAll(requests(c, n));
            for (int i = 0; i < n; i++) {
                assertThat(out.get(i).response().content()).isEqualTo("label:in" + i);
                assertThat(out.get(i).response().cached()).isEqualTo(i < 10);
                assertThat(s.answered.containsKey("in" + i)).as("re-asked input %d", i).isEqualTo(i >= 10);
            }
            CostMeter.Snapshot m = c.meter().snapshot();
            assertThat(m.cachedCalls()).isEqualTo(10);
            assertThat(m.paidCalls()).isEqualTo(10);
            assertThat(m.costUsd().add(m.cachedCostUsd())).isEqualByComparingTo(PRICES.cost(10 * 3 + 10 * 4, 3 * 20));
        }
        // a third run asks nothing at all, and the file has exactly one record per input
        try (FlakyServer s = new FlakyServer((in, a) -> Act.BAD_REQUEST); TeacherClient c = client(s, cacheFile, 4)) {
            assertThat(c.completeAll(requests(c, n))).allSatisfy(o -> assertThat(o.response().cached()).isTrue());
            assertThat(s.attempts).isEmpty();
        }
        assertThat(Files.readAllLines(cacheFile)).hasSize(n);
    }

    @Test
    void retryAfterAsAnHttpDateWaitsUntilThatTime() throws Exception {
        try (FlakyServer s = new FlakyServer((in, a) -> a == 0 ? Act.RATE_LIMITED_DATE : Act.OK); TeacherClient c = client(s, null, 1)) {
            assertThat(c.complete(requests(c, 1).getFirst()).content()).isEqualTo("label:in0");
            assertThat(time.sleeps).containsExactly(Duration.ofSeconds(3));
        }
    }

    @Test
    void otherClientErrorsAreNotRetried() throws Exception {
        try (FlakyServer s = new FlakyServer((in, a) -> Act.BAD_REQUEST); TeacherClient c = client(s, null, 2)) {
            assertThatThrownBy(() -> c.complete(requests(c, 1).getFirst()))
                    .isInstanceOf(TeacherException.class).hasMessageContaining("HTTP 400").hasMessageContaining("context too long")
                    .satisfies(e -> assertThat(((TeacherException) e).status()).isEqualTo(400));
            assertThat(s.attempts.get("in0")).hasValue(1);
            assertThat(c.meter().snapshot().failures()).isEqualTo(1);
        }
    }

    @Test
    void persistentFailureGivesUpAfterTheRetryBudgetWithTheLastProblem() throws Exception {
        try (FlakyServer s = new FlakyServer((in, a) -> Act.ERROR_500); TeacherClient c = client(s, null, 2)) {
            assertThatThrownBy(() -> c.complete(requests(c, 1).getFirst()))
                    .isInstanceOf(TeacherException.class).hasMessageContaining("after 7 attempts").hasMessageContaining("HTTP 500");
            assertThat(s.attempts.get("in0")).hasValue(7);
        }
    }

    @Test
    void aRetryAfterBeyondTheLimitFailsInsteadOfStalling() throws Exception {
        try (FlakyServer s = new FlakyServer((in, a) -> Act.RATE_LIMITED); TeacherClient c = client(s, null, 2)) {
            s.retryAfter = "3600";
            assertThatThrownBy(() -> c.complete(requests(c, 1).getFirst()))
                    .isInstanceOf(TeacherException.class).hasMessageContaining("retry after 3600 s");
        }
    }

    @Test
    void missingApiKeyVariableIsAClearError() throws Exception {
        TeacherConfig cfg = TeacherConfig.of("http://127.0.0.1:1/v1", "m").withApiKeyEnv("SMELT_TEST_KEY");
        assertThatThrownBy(() -> new TeacherClient(cfg, http, time, Map.<String, String>of()::get))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SMELT_TEST_KEY");
    }

    @Test
    void endpointPathsFollowOpenAiBaseUrls() {
        assertThat(TeacherConfig.of("http://h:1", "m").chatCompletions()).hasToString("http://h:1/v1/chat/completions");
        assertThat(TeacherConfig.of("https://api.openai.com/v1/", "m").chatCompletions()).hasToString("https://api.openai.com/v1/chat/completions");
    }
}
