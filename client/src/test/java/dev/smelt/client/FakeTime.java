package dev.smelt.client;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** A virtual clock: sleeping advances it at once and is recorded. Thread-safe. */
public final class FakeTime implements TimeSource {
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    final AtomicLong nanos = new AtomicLong();
    final AtomicLong slept = new AtomicLong();
    final java.util.List<Duration> sleeps = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public Instant now() {
        return START.plusNanos(nanos.get());
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        nanos.addAndGet(d.toNanos());
        slept.addAndGet(d.toNanos());
        sleeps.add(d);
    }
}
