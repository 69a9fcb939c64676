package dev.smelt.client;

import java.util.concurrent.Semaphore;

/**
 * The client's admission control: at most {@code maxConcurrency} requests in flight, and the optional
 * requests-per-minute and tokens-per-minute buckets. Tokens are reserved from an estimate before a
 * call and settled with the real usage after it. Thread-safe.
 */
final class RequestLimits {
    private final Semaphore inFlight;
    private final TokenBucket requests;
    private final TokenBucket tokens;

    RequestLimits(TeacherConfig config, TimeSource time) {
        this.inFlight = new Semaphore(config.maxConcurrency(), true);
        this.requests = config.requestsPerMinute() > 0 ? new TokenBucket(config.requestsPerMinute(), time) : null;
        this.tokens = config.tokensPerMinute() > 0 ? new TokenBucket(config.tokensPerMinute(), time) : null;
    }

    /** Takes a concurrency slot (held across the retries of one request); pair with {@link #leave}. */
    void enter() throws InterruptedException {
        inFlight.acquire();
    }

    void leave() {
        inFlight.release();
    }

    /** Waits for one request and {@code estimate} tokens of the per-minute budgets (each attempt). */
    void acquire(long estimate) throws InterruptedException {
        if (requests != null) {
            requests.acquire(1);
        }
        if (tokens != null) {
            tokens.acquire(estimate);
        }
    }

    /** Corrects the token budget once the real usage is known. */
    void settle(long actualTokens, long estimate) {
        if (tokens != null) {
            tokens.adjust(actualTokens - estimate);
        }
    }
}
