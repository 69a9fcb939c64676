package dev.smelt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RateAndRetryTest {
    @TempDir
    Path dir;

    @Test
    void requestBucketLetsAMinuteBurstThroughThenPacesAtTheRate() throws Exception {
        FakeTime t = new FakeTime();
        TokenBucket b = new TokenBucket(60, t); // one per second
        for (int i = 0; i < 60; i++) {
            b.acquire(1);
        }
        assertThat(t.slept.get()).isZero();
        b.acquire(1);
        b.acquire(1);
        assertThat(Duration.ofNanos(t.slept.get())).isBetween(Duration.ofMillis(1999), Duration.ofMillis(2001));
    }

    @Test
    void tokenDebtFromAnUnderestimateDelaysTheNextCaller() throws Exception {
        FakeTime t = new FakeTime();
        TokenBucket b = new TokenBucket(6000, t); // 100 tokens/s
        b.acquire(6000);
        b.adjust(1000); // the response used 1000 more than reserved
        b.acquire(100);
        // refill 1000 debt + 100 = 11 s
        assertThat(Duration.ofNanos(t.slept.get())).isBetween(Duration.ofMillis(10_999), Duration.ofMillis(11_001));
        assertThatThrownBy(() -> new TokenBucket(0, t)).hasMessageContaining("got 0.0");
    }

    @Test
    void backoffIsJitteredWithinTheExponentialCapAndReproducibleWithASeed() {
        RetryPolicy a = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1), new SplittableRandom(3));
        RetryPolicy b = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1), new SplittableRandom(3));
        for (int i = 0; i < 8; i++) {
            Duration d = a.backoff(i);
            assertThat(d).isEqualTo(b.backoff(i));
            assertThat(d).isBetween(Duration.ZERO, Duration.ofMillis(Math.min(1000, 100L << i)));
        }
    }

    @Test
    void retryAfterAcceptsSecondsAndHttpDates() {
        var now = FakeTime.START;
        assertThat(RetryPolicy.parseRetryAfter("7", now)).contains(Duration.ofSeconds(7));
        assertThat(RetryPolicy.parseRetryAfter("1.5", now)).contains(Duration.ofMillis(1500));
        assertThat(RetryPolicy.parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now)).contains(Duration.ofSeconds(60));
        assertThat(RetryPolicy.parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).contains(Duration.ZERO);
        assertThat(RetryPolicy.parseRetryAfter("soon", now)).isEmpty();
        assertThat(RetryPolicy.parseRetryAfter(null, now)).isEmpty();
    }

    @Test
    void aCorruptRecordInTheMiddleOfTheCacheIsReportedWithItsLine() throws Exception {
        Path f = dir.resolve("c.jsonl");
        Files.writeString(f, "{\"key\":\"a\",\"response\":{}}\nnot json\n{\"key\":\"b\",\"response\":{}}\n");
        assertThatThrownBy(() -> ResponseCache.open(f)).hasMessageContaining("c.jsonl:2: corrupt cache record");
    }

    @Test
    void aTornLastRecordIsCutOffAndTheNextAppendStartsOnItsOwnLine() throws Exception {
        Path f = dir.resolve("c.jsonl");
        Files.writeString(f, "{\"key\":\"a\",\"response\":{\"x\":1}}\n{\"key\":\"b\",\"resp");
        try (ResponseCache c = ResponseCache.open(f)) {
            assertThat(c.size()).isEqualTo(1);
            assertThat(c.tornBytesDropped()).isEqualTo(16);
            c.put("b", Canonical.JSON.createObjectNode().put("y", 2));
            c.put("b", Canonical.JSON.createObjectNode().put("y", 3)); // written once
        }
        assertThat(Files.readAllLines(f)).containsExactly("{\"key\":\"a\",\"response\":{\"x\":1}}", "{\"key\":\"b\",\"response\":{\"y\":2}}");
        try (ResponseCache c = ResponseCache.open(f)) {
            assertThat(c.get("b").path("y").asInt()).isEqualTo(2);
        }
    }

    @Test
    void aCacheOpenTwiceAtOnceIsRefused() throws Exception {
        Path f = dir.resolve("c.jsonl");
        try (ResponseCache c = ResponseCache.open(f)) {
            assertThatThrownBy(() -> ResponseCache.open(f)).hasMessageContaining("in use by another run");
        }
        ResponseCache.open(f).close(); // released on close
    }

    @Test
    void cacheKeysIgnoreKeyOrder() {
        var a = Canonical.JSON.createObjectNode().put("model", "m").put("temperature", 0);
        var b = Canonical.JSON.createObjectNode().put("temperature", 0).put("model", "m");
        assertThat(Canonical.hash(a)).isEqualTo(Canonical.hash(b)).hasSize(64);
    }
}
