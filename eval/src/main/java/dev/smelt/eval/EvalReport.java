package dev.smelt.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.client.Canonical;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/** The JSON form of an evaluation: one object per target with its metrics and paths. Stateless, thread-safe. */
public final class EvalReport {
    private EvalReport() {
    }

    /** A target's evaluation, for reports. */
    public record Evaluated(String target, String task, String metric, Metrics metrics) {
    }

    public static ObjectNode json(Evaluated e, boolean withConfusion) {
        Metrics m = e.metrics();
        ObjectNode o = Canonical.JSON.createObjectNode().put("target", e.target()).put("task", e.task()).put("metric", e.metric())
                .put("n", m.n()).put("accuracy", m.accuracy()).put("mean_score", m.meanScore()).put("validity", m.validity());
        if (!Double.isNaN(m.macroF1())) {
            o.put("macro_f1", m.macroF1());
        }
        if (m.judged() > 0) {
            o.put("judge_mean", m.judgeMean()).put("judged", m.judged());
        }
        o.put("errors", m.errors()).put("latency_p50_ms", m.latencyP50Ms()).put("latency_p95_ms", m.latencyP95Ms())
                .put("input_tokens", m.inputTokens()).put("output_tokens", m.outputTokens()).put("cost_usd", m.costUsd())
                .put("cost_per_1k_usd", per1k(m.costUsd(), m.n()));
        ObjectNode paths = o.putObject("paths");
        m.byTarget().forEach((k, v) -> paths.putObject(k).put("n", v.n()).put("share", m.n() == 0 ? 0 : (double) v.n() / m.n())
                .put("accuracy", v.accuracy()).put("cost_usd", v.costUsd()).put("input_tokens", v.inputTokens()).put("output_tokens", v.outputTokens()));
        if (withConfusion && m.confusion() != null) {
            ObjectNode c = o.putObject("confusion");
            ArrayNode l = c.putArray("labels");
            m.confusionLabels().forEach(l::add);
            ArrayNode rows = c.putArray("matrix");
            for (int[] r : m.confusion()) {
                ArrayNode a = rows.addArray();
                for (int x : r) {
                    a.add(x);
                }
            }
            ArrayNode per = o.putArray("per_class");
            for (Metrics.ClassStats s : m.perClass()) {
                per.addObject().put("label", s.label()).put("precision", s.precision()).put("recall", s.recall()).put("f1", s.f1())
                        .put("support", s.support());
            }
        }
        return o;
    }

    static BigDecimal per1k(BigDecimal cost, int n) {
        return n == 0 ? BigDecimal.ZERO : cost.multiply(BigDecimal.valueOf(1000)).divide(BigDecimal.valueOf(n), 10, RoundingMode.HALF_EVEN)
                .stripTrailingZeros();
    }

    /** One JSON line per record (predictions.jsonl). */
    public static String predictions(List<EvalRecord> rs) {
        StringBuilder sb = new StringBuilder();
        for (EvalRecord r : rs) {
            ObjectNode o = Canonical.JSON.createObjectNode().put("id", r.id()).put("input", r.input()).put("expected", r.expected())
                    .put("answer", r.answer()).put("predicted", r.predicted()).put("correct", r.correct()).put("score", r.score())
                    .put("answered_by", r.answeredBy()).put("latency_ms", r.latencyMs()).put("cost_usd", r.costUsd());
            if (!Double.isNaN(r.confidence())) {
                o.put("confidence", r.confidence());
            }
            if (!Double.isNaN(r.judgeScore())) {
                o.put("judge_score", r.judgeScore());
            }
            if (r.error() != null) {
                o.put("error", r.error());
            }
            sb.append(o).append('\n');
        }
        return sb.toString();
    }
}
