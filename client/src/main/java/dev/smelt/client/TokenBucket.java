package dev.smelt.client;

import java.time.Duration;

/**
 * A token bucket: holds up to {@code capacity} units, refilled continuously at {@code perMinute}/60 s.
 * {@link #acquire} waits until the level covers the request (or the bucket is full, for requests larger
 * than the bucket) and then subtracts it, so the level may go negative: a later caller waits for the
 * debt to refill. {@link #adjust} corrects an estimate once the real amount is known (tokens per minute
 * are estimated before a call and settled from the response's usage). Thread-safe.
 */
public final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private final TimeSource time;
    private double level;
    private long last;

    /** @param perMinute refill rate and capacity (a minute's worth may be spent in a burst) */
    public TokenBucket(double perMinute, TimeSource time) {
        if (!(perMinute > 0) || Double.isInfinite(perMinute)) {
            throw new IllegalArgumentException("rate per minute must be a positive number, got " + perMinute);
        }
        this.capacity = perMinute;
        this.perNano = perMinute / 60e9;
        this.time = time;
        this.level = perMinute;
        this.last = time.nanoTime();
    }

    /** Takes {@code amount} units, waiting as long as needed. */
    public void acquire(double amount) throws InterruptedException {
        if (amount < 0) {
            throw new IllegalArgumentException("amount must be >= 0, got " + amount);
        }
        double need = Math.min(amount, capacity);
        while (true) {
            long waitNanos;
            synchronized (this) {
                refill();
                if (level >= need) {
                    level -= amount;
                    return;
                }
                waitNanos = (long) Math.ceil((need - level) / perNano);
            }
            time.sleep(Duration.ofNanos(Math.max(waitNanos, 1)));
        }
    }

    /** Adds {@code delta} units of debt (positive) or credit (negative, capped at capacity). */
    public synchronized void adjust(double delta) {
        refill();
        level = Math.min(capacity, level - delta);
    }

    /** Current level (for tests and metrics). */
    public synchronized double level() {
        refill();
        return level;
    }

    private void refill() {
        long now = time.nanoTime();
        level = Math.min(capacity, level + (now - last) * perNano);
        last = now;
    }
}
