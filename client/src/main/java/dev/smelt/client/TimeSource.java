package dev.smelt.client;

import java.time.Duration;
import java.time.Instant;

/**
 * Time for rate limits, backoff and {@code Retry-After} dates, injected so tests run on a virtual clock.
 * Implementations must be thread-safe.
 */
public interface TimeSource {
    /** Wall-clock time (HTTP-date {@code Retry-After} values are relative to it). */
    Instant now();

    /** Monotonic nanoseconds for measuring intervals. */
    long nanoTime();

    /** Waits for {@code d}. */
    void sleep(Duration d) throws InterruptedException;

    /** The real clock. */
    TimeSource SYSTEM = new TimeSource() {
        @Override
        public Instant now() {
            return Instant.now();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            if (!d.isNegative() && !d.isZero()) {
                Thread.sleep(d);
            }
        }
    };
}
