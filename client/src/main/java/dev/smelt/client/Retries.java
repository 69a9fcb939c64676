package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * What to do after a failed attempt: which statuses are retried and after how long (honouring
 * {@code Retry-After} on 429/503 up to the policy's limit, jittered backoff otherwise), and when the
 * retries are spent. Counts retries and failures on the meter. Thread-safe (stateless but for the meter).
 */
final class Retries {
    private final RetryPolicy policy;
    private final TimeSource time;
    private final CostMeter meter;
    private final URI endpoint;

    Retries(RetryPolicy policy, TimeSource time, CostMeter meter, URI endpoint) {
        this.policy = policy;
        this.time = time;
        this.meter = meter;
        this.endpoint = endpoint;
    }

    /** The backoff before attempt {@code attempt + 1} after a timeout, a lost connection or a malformed body. */
    Duration backoff(int attempt) {
        return policy.backoff(attempt);
    }

    /** The wait before retrying a non-200 status; throws for statuses that must not be retried (other 4xx). */
    Duration afterStatus(int status, String retryAfter, String problem, int attempt) throws TeacherException {
        if (status == 429 || status == 503) {
            Optional<Duration> ra = RetryPolicy.parseRetryAfter(retryAfter, time.now());
            if (ra.isPresent() && ra.get().compareTo(policy.maxRetryAfter()) > 0) {
                meter.failure();
                throw new TeacherException(status, "teacher asked to retry after " + ra.get().toSeconds() + " s, more than the "
                        + policy.maxRetryAfter().toSeconds() + " s allowed: " + problem, null);
            }
            return ra.isPresent() ? ra.get() : policy.backoff(attempt);
        }
        if (status >= 500 || status == 408) {
            return policy.backoff(attempt);
        }
        meter.failure();
        throw new TeacherException(status, "teacher refused the request: " + problem, null);
    }

    /** Sleeps before the next attempt, or fails when the retries are spent. */
    void pause(int attempt, Duration wait, int lastStatus, String lastProblem) throws TeacherException, InterruptedException {
        if (attempt >= policy.maxRetries()) {
            meter.failure();
            throw new TeacherException(lastStatus, "teacher call failed after " + (attempt + 1) + " attempts: " + lastProblem
                    + " (" + endpoint + ")", null);
        }
        meter.retry();
        time.sleep(wait);
    }

    /** ": message" from an OpenAI error body ({@code {"error": {"message": ...}}}), or "" when there is none. */
    static String errorMessage(byte[] body) {
        try {
            JsonNode m = Canonical.JSON.readTree(body).path("error").path("message");
            return m.isTextual() ? ": " + m.asText() : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
