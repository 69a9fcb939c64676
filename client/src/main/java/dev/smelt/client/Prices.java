package dev.smelt.client;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Prices in USD per one million input (prompt) and output (completion) tokens. Costs are computed in
 * exact decimal arithmetic so per-request costs add up to the run's total to the last digit. Immutable.
 */
public record Prices(BigDecimal inputPerMillion, BigDecimal outputPerMillion) {
    public static final Prices FREE = new Prices(BigDecimal.ZERO, BigDecimal.ZERO);
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    public Prices {
        if (inputPerMillion.signum() < 0 || outputPerMillion.signum() < 0) {
            throw new IllegalArgumentException("prices must be >= 0, got " + inputPerMillion + ", " + outputPerMillion);
        }
    }

    public static Prices of(double inputPerMillion, double outputPerMillion) {
        return new Prices(new BigDecimal(Double.toString(inputPerMillion)), new BigDecimal(Double.toString(outputPerMillion)));
    }

    /** Exact cost of a call (division by 10^6 is exact in decimal). */
    public BigDecimal cost(long inputTokens, long outputTokens) {
        return inputPerMillion.multiply(BigDecimal.valueOf(inputTokens)).add(outputPerMillion.multiply(BigDecimal.valueOf(outputTokens)))
                .divide(MILLION, MathContext.UNLIMITED);
    }

    public boolean isFree() {
        return inputPerMillion.signum() == 0 && outputPerMillion.signum() == 0;
    }
}
