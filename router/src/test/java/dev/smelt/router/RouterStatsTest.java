package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The router dashboard's numbers, counted from real routing through a budgeted cascade over scripted targets. */
class RouterStatsTest {
    private static final double EPS = 1e-12;

    private static Query q(String in) {
        return new Query("t", in, List.of(Map.of("role", "user", "content", in)), 8);
    }

    @Test
    void countsShareCostTargetsReasonsAndTheLatestEscalations() throws Exception {
        Map<String, String> weakAnswers = new HashMap<>();
        Map<String, Double> weakConf = new HashMap<>();
        String longPrompt = "hard ".repeat(40); // 200 characters: only the first 80 are kept
        for (String in : List.of("easy1", "easy2", "hard1", "hard2", longPrompt)) {
            weakAnswers.put(in, "w");
            weakConf.put(in, in.startsWith("easy") ? 0.95 : 0.2);
        }
        Scripted small = new Scripted("small", weakAnswers, weakConf, BigDecimal.ZERO);
        Scripted teacher = new Scripted("teacher", Map.of(), Map.of(), new BigDecimal("0.01"));
        ShareController c = new ShareController(0.5, 0.5, 10, ShareController.Mode.BUDGET, null);
        try (Router r = new Router("r", Map.of("small", small, "teacher", teacher),
                new BudgetedPolicy(new CascadePolicy("small", "teacher", 0.5, null), c), List.of(), null, Budget.unlimited())) {
            RouterStats stats = new RouterStats(r);
            List<String> inputs = List.of("easy1", "hard1", "easy2", "hard2", longPrompt);
            int toTeacher = 0;
            for (int i = 0; i < inputs.size(); i++) {
                Router.Trace trace = new Router.Trace();
                Answer a = r.answer(q(inputs.get(i)), null, null, trace);
                toTeacher += a.target().equals("teacher") ? 1 : 0;
                stats.record(Instant.ofEpochSecond(1000 + i), inputs.get(i), a, trace, (i + 1) * 1_000_000L);
            }
            JsonNode s = stats.sample(0);
            assertThat(s.path("requests").asLong()).isEqualTo(5);
            // pro-rata cap at 0.5: hard1 (2nd request, 1 allowed) and hard2 (4th, 2 allowed) go; the 5th (2 allowed, 2 sent) is held back
            assertThat(toTeacher).isEqualTo(2);
            assertThat(s.path("share").path("strong_calls").asLong()).isEqualTo(2);
            assertThat(s.path("share").path("window_share").asDouble()).isCloseTo(0.4, org.assertj.core.data.Offset.offset(EPS));
            assertThat(s.path("share").path("target").asDouble()).isEqualTo(0.5);
            assertThat(s.path("share").path("mode").asText()).isEqualTo("budget");
            assertThat(s.path("share").path("held_back").asLong()).isEqualTo(1);
            assertThat(s.path("targets").path("small").asLong()).isEqualTo(3);
            assertThat(s.path("targets").path("teacher").asLong()).isEqualTo(2);
            assertThat(s.path("cost").path("total_usd").asDouble()).isCloseTo(0.02, org.assertj.core.data.Offset.offset(EPS));
            // the teacher's answers cost 0.01 each: 5 requests all to the teacher ≈ 0.05
            assertThat(s.path("cost").path("strong_for_everything_usd").asDouble()).isCloseTo(0.05, org.assertj.core.data.Offset.offset(EPS));
            assertThat(s.path("reasons").path("low confidence").asLong()).isEqualTo(2);
            JsonNode esc = s.path("escalated");
            assertThat(esc.size()).isEqualTo(2);
            assertThat(esc.get(0).path("prompt").asText()).isEqualTo("hard2"); // newest first
            assertThat(esc.get(0).path("path").asText()).isEqualTo("small → teacher");
            assertThat(esc.get(0).path("confidence").asDouble()).isEqualTo(0.2);
            assertThat(s.path("points").size()).isEqualTo(5);
            assertThat(stats.sample(3).path("points").size()).as("points after request 3").isEqualTo(2);
            JsonNode lat = s.path("latency");
            assertThat(lat.findValuesAsText("path")).containsExactlyInAnyOrder("small", "small → teacher");
        }
    }

    @Test
    void keepsOnlyTheStartOfAPromptAndBoundsTheTable() throws Exception {
        Scripted small = new Scripted("small", Map.of(), Map.of(), BigDecimal.ZERO); // no confidence: always escalates
        Scripted teacher = new Scripted("teacher", Map.of(), Map.of(), BigDecimal.ZERO);
        try (Router r = new Router("r", Map.of("small", small, "teacher", teacher), new CascadePolicy("small", "teacher", 0.5, null),
                List.of(), null, Budget.unlimited())) {
            RouterStats stats = new RouterStats(r);
            String prompt = "é".repeat(RouterStats.PROMPT_CHARS + 20);
            for (int i = 0; i < RouterStats.ESCALATED + 5; i++) {
                Router.Trace trace = new Router.Trace();
                stats.record(Instant.EPOCH, prompt, r.answer(q(prompt), null, null, trace), trace, 1);
            }
            JsonNode s = stats.sample(0);
            assertThat(s.path("escalated").size()).isEqualTo(RouterStats.ESCALATED);
            assertThat(s.path("escalated").get(0).path("prompt").asText()).isEqualTo("é".repeat(RouterStats.PROMPT_CHARS) + "…");
            assertThat(s.path("escalated").get(0).path("confidence").isNull()).isTrue();
            assertThat(s.path("reasons").path("no confidence reported").asLong()).isEqualTo(RouterStats.ESCALATED + 5);
            assertThat(s.path("share").path("target").isNull()).as("no budget set").isTrue();
            assertThat(s.path("share").path("cumulative_share").asDouble()).isEqualTo(1.0);
        }
    }

    @Test
    void aFailedTargetAndAnAnswerThatFailedEverywhereAreCountedWithTheirReasons() throws Exception {
        Scripted small = new Scripted("small", Map.of(), Map.of(), BigDecimal.ZERO);
        Scripted teacher = new Scripted("teacher", Map.of(), Map.of(), BigDecimal.ZERO);
        small.fail = true;
        try (Router r = new Router("r", Map.of("small", small, "teacher", teacher), new RulesPolicy(List.of(), "small", "teacher"),
                List.of("teacher"), null, Budget.unlimited())) {
            RouterStats stats = new RouterStats(r);
            Router.Trace fellBack = new Router.Trace();
            stats.record(Instant.EPOCH, "a", r.answer(q("a"), null, null, fellBack), fellBack, 1);
            teacher.fail = true;
            Router.Trace none = new Router.Trace();
            try {
                r.answer(q("b"), null, null, none);
                throw new AssertionError("every target is down: the router must fail");
            } catch (Router.RouterException expected) {
                stats.record(Instant.EPOCH, "b", null, none, 1);
            }
            JsonNode s = stats.sample(0);
            assertThat(s.path("targets").path("teacher").asLong()).isEqualTo(1);
            assertThat(s.path("targets").path("error").asLong()).isEqualTo(1);
            assertThat(s.path("errors").asLong()).isEqualTo(1);
            assertThat(s.path("reasons").path("target failed: small is down").asLong()).isEqualTo(2);
            assertThat(s.path("reasons").path("target failed: teacher is down").asLong()).isEqualTo(1);
            assertThat(s.path("latency").findValuesAsText("path")).containsExactly("small (failed) → teacher", "small (failed) → teacher (failed)");
            assertThat(s.path("escalated").get(0).path("answered_by").asText()).isEqualTo("error");
            assertThat(s.path("share").path("strong_calls").asLong()).as("the teacher was called both times").isEqualTo(2);
        }
    }

    @Test
    void nearestRankPercentiles() {
        long[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(RouterStats.percentile(v, 0.5)).isEqualTo(5);
        assertThat(RouterStats.percentile(v, 0.95)).isEqualTo(10);
        assertThat(RouterStats.percentile(new long[] {7}, 0.95)).isEqualTo(7);
        assertThat(RouterStats.percentile(new long[0], 0.5)).isZero();
    }
}
