package dev.smelt.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Two eval results side by side: each metric of {@code result.json} for A and B with the delta B − A and whether B is
 * better, and per label (from {@code per_class}) precision, recall, F1 and support with the F1 delta. Labels present on
 * one side only are listed with the other side empty. Stateless, thread-safe.
 */
final class EvalComparison {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** A metric: its result.json field, a label for people, and whether more is better (null: neither, e.g. the example count). */
    record Metric(String field, String label, Boolean higherIsBetter) {
    }

    /** The metrics compared, in the table's order. */
    static final List<Metric> METRICS = List.of(new Metric("accuracy", "accuracy", true), new Metric("macro_f1", "macro-F1", true),
            new Metric("mean_score", "mean score", true), new Metric("validity", "valid answers", true),
            new Metric("judge_mean", "judge grade", true), new Metric("errors", "errors", false), new Metric("n", "examples", null),
            new Metric("latency_p50_ms", "latency p50 (ms)", false), new Metric("latency_p95_ms", "latency p95 (ms)", false),
            new Metric("cost_per_1k_usd", "USD per 1k queries", false));

    /** One side: the run, its task and the chosen target's object of {@code results}. */
    record Side(String id, String path, String task, ObjectNode result) {
    }

    private EvalComparison() {
    }

    static ObjectNode compare(Side a, Side b) {
        ObjectNode o = F.objectNode();
        o.set("a", side(a));
        o.set("b", side(b));
        ArrayNode notes = o.putArray("notes");
        if (!a.task().equals(b.task())) {
            notes.add("the results are of different tasks ('" + a.task() + "' and '" + b.task() + "'): the numbers may not be comparable");
        }
        ArrayNode metrics = o.putArray("metrics");
        for (Metric m : METRICS) {
            JsonNode va = a.result().get(m.field());
            JsonNode vb = b.result().get(m.field());
            if (!isNumber(va) && !isNumber(vb)) {
                continue;
            }
            ObjectNode row = metrics.addObject().put("name", m.field()).put("label", m.label());
            if (m.higherIsBetter() == null) {
                row.putNull("higher_is_better");
            } else {
                row.put("higher_is_better", m.higherIsBetter());
            }
            put(row, "a", va);
            put(row, "b", vb);
            if (isNumber(va) && isNumber(vb)) {
                double d = vb.asDouble() - va.asDouble();
                row.put("delta", d).put("better", d == 0 || m.higherIsBetter() == null ? "same" : (d > 0) == m.higherIsBetter() ? "b" : "a");
            } else {
                row.putNull("delta");
            }
        }
        Map<String, JsonNode> pa = perClass(a.result());
        Map<String, JsonNode> pb = perClass(b.result());
        ArrayNode per = o.putArray("per_class");
        if (pa.isEmpty() && pb.isEmpty()) {
            notes.add("no per-class metrics: classification results of this smelt version carry 'per_class' in result.json");
        }
        Set<String> labels = new LinkedHashSet<>(pa.keySet());
        labels.addAll(pb.keySet());
        for (String label : labels) {
            ObjectNode row = per.addObject().put("label", label);
            row.set("a", pa.getOrDefault(label, F.nullNode()));
            row.set("b", pb.getOrDefault(label, F.nullNode()));
            JsonNode fa = pa.containsKey(label) ? pa.get(label).get("f1") : null;
            JsonNode fb = pb.containsKey(label) ? pb.get(label).get("f1") : null;
            if (isNumber(fa) && isNumber(fb)) {
                row.put("delta_f1", fb.asDouble() - fa.asDouble());
            } else {
                row.putNull("delta_f1");
            }
        }
        return o;
    }

    private static ObjectNode side(Side s) {
        return F.objectNode().put("id", s.id()).put("path", s.path()).put("task", s.task()).put("target", s.result().path("target").asText());
    }

    /** {@code per_class} entries by label, keeping precision, recall, f1 and support. */
    private static Map<String, JsonNode> perClass(ObjectNode result) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode c : result.path("per_class")) {
            if (c.isObject() && c.path("label").isTextual()) {
                ObjectNode v = F.objectNode();
                for (String f : List.of("precision", "recall", "f1", "support")) {
                    put(v, f, c.get(f));
                }
                out.put(c.path("label").asText(), v);
            }
        }
        return out;
    }

    private static boolean isNumber(JsonNode n) {
        return n != null && n.isNumber() && Double.isFinite(n.asDouble());
    }

    private static void put(ObjectNode o, String field, JsonNode v) {
        if (isNumber(v)) {
            o.set(field, v);
        } else {
            o.putNull(field);
        }
    }
}
