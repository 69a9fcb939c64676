package dev.smelt.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** Deltas and their direction per metric, labels on one side only, and the notes a comparison carries. */
class EvalComparisonTest {
    private static final ObjectMapper M = new ObjectMapper();

    private static EvalComparison.Side side(String task, String json) throws Exception {
        return new EvalComparison.Side("id", "p", task, (ObjectNode) M.readTree(json));
    }

    private static JsonNode metric(JsonNode c, String name) {
        for (JsonNode m : c.path("metrics")) {
            if (m.path("name").asText().equals(name)) {
                return m;
            }
        }
        return null;
    }

    @Test
    void lowerLatencyAndCostAreBetterAndMissingMetricsAreLeftOut() throws Exception {
        JsonNode c = EvalComparison.compare(
                side("t", "{\"target\": \"a\", \"accuracy\": 0.9, \"latency_p50_ms\": 100, \"cost_per_1k_usd\": 2.0, \"n\": 10,"
                        + " \"per_class\": [{\"label\": \"x\", \"f1\": 0.5, \"precision\": 0.5, \"recall\": 0.5, \"support\": 4}]}"),
                side("u", "{\"target\": \"b\", \"accuracy\": 0.85, \"latency_p50_ms\": 40, \"cost_per_1k_usd\": 0.5, \"n\": 12,"
                        + " \"per_class\": [{\"label\": \"y\", \"f1\": 1.0, \"precision\": 1, \"recall\": 1, \"support\": 2}]}"));
        assertThat(metric(c, "accuracy").path("better").asText()).isEqualTo("a");
        assertThat(metric(c, "accuracy").path("delta").asDouble()).isCloseTo(-0.05, within(1e-12));
        assertThat(metric(c, "latency_p50_ms").path("better").asText()).isEqualTo("b");
        assertThat(metric(c, "cost_per_1k_usd").path("better").asText()).isEqualTo("b");
        assertThat(metric(c, "n").path("better").asText()).isEqualTo("same"); // more examples is not better or worse
        assertThat(metric(c, "macro_f1")).isNull();
        assertThat(c.path("per_class").get(0).path("label").asText()).isEqualTo("x");
        assertThat(c.path("per_class").get(0).path("b").isNull()).isTrue();
        assertThat(c.path("per_class").get(1).path("delta_f1").isNull()).isTrue();
        assertThat(c.path("notes").get(0).asText()).contains("different tasks");
    }

    @Test
    void resultsWithoutPerClassSaySo() throws Exception {
        JsonNode c = EvalComparison.compare(side("t", "{\"accuracy\": 0.5}"), side("t", "{\"accuracy\": 0.5}"));
        assertThat(metric(c, "accuracy").path("better").asText()).isEqualTo("same");
        assertThat(c.path("per_class")).isEmpty();
        assertThat(c.path("notes").get(0).asText()).startsWith("no per-class metrics");
    }
}
