package dev.smelt.client;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter (wait uniformly in [0, min(max, initial·2^attempt)], as AWS's
 * architecture note recommends: it spreads retries of many clients), and {@code Retry-After} parsing.
 * Thread-safe (the random generator is used under a lock).
 *
 * @param maxRetries    retries after the first try (0 = no retries)
 * @param maxRetryAfter a server asking to wait longer than this fails the request instead of stalling the run
 */
public record RetryPolicy(int maxRetries, Duration initial, Duration max, Duration maxRetryAfter, RandomGenerator random) {
    public RetryPolicy {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("max retries must be >= 0, got " + maxRetries);
        }
        if (initial.isNegative() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 <= initial <= max, got " + initial + ", " + max);
        }
    }

    /** Defaults: 6 retries, 0.5 s doubling to 30 s, Retry-After up to 5 minutes honoured. */
    public static RetryPolicy defaults(long seed) {
        return new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(5),
                new java.util.SplittableRandom(seed));
    }

    /** The wait before retry number {@code attempt} (0-based). */
    public Duration backoff(int attempt) {
        double cap = Math.min(max.toNanos(), initial.toNanos() * Math.pow(2, Math.min(attempt, 40)));
        double u;
        synchronized (this) {
            u = random.nextDouble();
        }
        return Duration.ofNanos((long) (cap * u));
    }

    /**
     * Parses a {@code Retry-After} header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); empty when
     * absent or unparseable (the caller then uses backoff).
     */
    public static Optional<Duration> parseRetryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String h = header.trim();
        try {
            double seconds = Double.parseDouble(h);
            return seconds >= 0 ? Optional.of(Duration.ofMillis((long) (seconds * 1000))) : Optional.empty();
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(now, at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }
}
