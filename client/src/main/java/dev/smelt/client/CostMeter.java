package dev.smelt.client;

import java.math.BigDecimal;

/**
 * Token and cost accounting of a teacher client: what this run paid for (fresh responses), what came
 * from the cache (paid in an earlier run), HTTP attempts, retries and failures. Cost is computed from
 * exact token totals, so it equals the sum of every response's {@link Prices#cost}. Thread-safe.
 */
public final class CostMeter {
    private final Prices prices;
    private long paidCalls;
    private long cachedCalls;
    private long paidInput;
    private long paidOutput;
    private long cachedInput;
    private long cachedOutput;
    private long attempts;
    private long retries;
    private long failures;
    private long malformed;

    public CostMeter(Prices prices) {
        this.prices = prices;
    }

    public Prices prices() {
        return prices;
    }

    synchronized void paid(long in, long out) {
        paidCalls++;
        paidInput += in;
        paidOutput += out;
    }

    synchronized void cached(long in, long out) {
        cachedCalls++;
        cachedInput += in;
        cachedOutput += out;
    }

    synchronized void attempt() {
        attempts++;
    }

    synchronized void retry() {
        retries++;
    }

    synchronized void failure() {
        failures++;
    }

    synchronized void malformed() {
        malformed++;
    }

    /** An immutable copy of the counters. */
    public synchronized Snapshot snapshot() {
        return new Snapshot(paidCalls, cachedCalls, paidInput, paidOutput, cachedInput, cachedOutput, attempts, retries, failures,
                malformed, prices.cost(paidInput, paidOutput), prices.cost(cachedInput, cachedOutput));
    }

    /**
     * @param costUsd       paid in this run
     * @param cachedCostUsd what the cached responses cost when they were first asked (at today's prices)
     */
    public record Snapshot(long paidCalls, long cachedCalls, long paidInputTokens, long paidOutputTokens, long cachedInputTokens,
                           long cachedOutputTokens, long httpAttempts, long retries, long failures, long malformedResponses,
                           BigDecimal costUsd, BigDecimal cachedCostUsd) {
    }
}
