package dev.smelt.eval;

import java.math.BigDecimal;

/**
 * One scored example. Immutable.
 *
 * @param answeredBy the target that produced the answer (differs from the evaluated target for routers)
 * @param error      why the target failed, or null
 */
public record EvalRecord(String id, String input, String expected, String answer, String predicted, boolean correct, double score,
                         boolean valid, String answeredBy, double latencyMs, long inputTokens, long outputTokens, BigDecimal costUsd,
                         double confidence, String error) {
}
