package dev.smelt.eval;

import java.math.BigDecimal;

/**
 * One scored example. Immutable.
 *
 * @param answeredBy the target that produced the answer (differs from the evaluated target for routers)
 * @param error      why the target failed, or null
 * @param judgeScore the judge's 1-10 grade, NaN when not judged
 */
public record EvalRecord(String id, String input, String expected, String answer, String predicted, boolean correct, double score,
                         boolean valid, String answeredBy, double latencyMs, long inputTokens, long outputTokens, BigDecimal costUsd,
                         double confidence, String error, double judgeScore) {
    public EvalRecord(String id, String input, String expected, String answer, String predicted, boolean correct, double score,
                      boolean valid, String answeredBy, double latencyMs, long inputTokens, long outputTokens, BigDecimal costUsd,
                      double confidence, String error) {
        this(id, input, expected, answer, predicted, correct, score, valid, answeredBy, latencyMs, inputTokens, outputTokens, costUsd,
                confidence, error, Double.NaN);
    }

    public EvalRecord withJudgeScore(double s) {
        return new EvalRecord(id, input, expected, answer, predicted, correct, score, valid, answeredBy, latencyMs, inputTokens, outputTokens,
                costUsd, confidence, error, s);
    }
}
