package dev.smelt.router;

import java.math.BigDecimal;

/**
 * A spending cap in USD for paid targets. Free targets are never blocked by it (budgets that block free
 * local models are a common complaint about proxies). Thread-safe.
 */
public final class Budget {
    private final BigDecimal limit;
    private BigDecimal spent = BigDecimal.ZERO;

    /** @param limitUsd the cap, or null for none */
    public Budget(BigDecimal limitUsd) {
        if (limitUsd != null && limitUsd.signum() < 0) {
            throw new IllegalArgumentException("budget must be >= 0 USD, got " + limitUsd);
        }
        this.limit = limitUsd;
    }

    public static Budget unlimited() {
        return new Budget(null);
    }

    /** Whether a paid call may start now. */
    public synchronized boolean allowsPaid() {
        return limit == null || spent.compareTo(limit) < 0;
    }

    public synchronized void spend(BigDecimal usd) {
        spent = spent.add(usd);
    }

    public synchronized BigDecimal spent() {
        return spent;
    }
}
