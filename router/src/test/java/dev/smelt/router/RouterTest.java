package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.client.Canonical;
import dev.smelt.task.DataFile;
import dev.smelt.task.TaskSpec;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RouterTest {
    private static final BigDecimal PRICE = new BigDecimal("0.01");
    private final TaskSpec task;

    RouterTest() throws Exception {
        task = TaskSpec.parse("t", Canonical.JSON.readTree("{\"name\":\"t\",\"instructions\":\"Classify.\",\"labels\":[\"a\",\"b\"]}"));
    }

    private Query q(String in) {
        return Query.of(task, in, in);
    }

    private Scripted weak() {
        return new Scripted("small", Map.of("x", "a", "y", "b", "z", "nonsense"), Map.of("x", 0.95, "y", 0.4, "z", 0.99), BigDecimal.ZERO);
    }

    private Scripted strong() {
        return new Scripted("teacher", Map.of("x", "a", "y", "a", "z", "b"), Map.of(), PRICE);
    }

    private Router cascade(Scripted w, Scripted s, Budget b, Duration timeout) {
        return new Router("r", Map.of("small", w, "teacher", s), new CascadePolicy("small", "teacher", 0.8, RouterConfig.validity(task)),
                List.of("teacher", "small"), timeout, b);
    }

    @Test
    void cascadeEscalatesOnLowConfidenceOrInvalidAnswersAndRecordsThePath() throws Exception {
        Scripted w = weak();
        Scripted s = strong();
        try (Router r = cascade(w, s, Budget.unlimited(), null)) {
            Answer x = r.answer(q("x"));
            assertThat(x.target()).isEqualTo("small");
            assertThat(x.escalations()).isEmpty();
            assertThat(x.costUsd()).isZero();
            Answer y = r.answer(q("y")); // confidence 0.4 <= 0.8
            assertThat(y.target()).isEqualTo("teacher");
            assertThat(y.text()).isEqualTo("a");
            assertThat(y.escalations()).containsExactly("small");
            assertThat(y.costUsd()).isEqualByComparingTo(PRICE);
            assertThat(y.inputTokens()).isEqualTo(20); // both tries
            Answer z = r.answer(q("z")); // confident but not a label
            assertThat(z.target()).isEqualTo("teacher");
            assertThat(r.budget().spent()).isEqualByComparingTo("0.02");
        }
    }

    @Test
    void errorsAndTimeoutsFallBackInOrder() throws Exception {
        Scripted w = weak();
        Scripted s = strong();
        // the timeout applies to every call, healthy ones too: far above a loaded machine's stalls; the hang,
        // cancelled at the timeout, costs no more than the timeout itself
        try (Router r = cascade(w, s, Budget.unlimited(), Duration.ofSeconds(2))) {
            w.fail = true;
            Answer a = r.answer(q("x"));
            assertThat(a.target()).isEqualTo("teacher");
            assertThat(a.escalations()).containsExactly("small(error)");
            w.fail = false;
            w.hangMillis = 60_000;
            Answer t = r.answer(q("x"));
            assertThat(t.target()).isEqualTo("teacher");
            assertThat(t.escalations()).containsExactly("small(error)");
            w.hangMillis = 0;
            s.fail = true;
            Answer kept = r.answer(q("y")); // low confidence, but the escalation fails: the weak answer stands
            assertThat(kept.target()).isEqualTo("small");
            assertThat(kept.text()).isEqualTo("b");
            assertThat(kept.escalations()).containsExactly("teacher(error)");
            w.fail = true;
            assertThatThrownBy(() -> r.answer(q("x"))).isInstanceOf(Router.RouterException.class)
                    .hasMessageContaining("every target failed").hasMessageContaining("teacher is down");
        }
    }

    @Test
    void anEmptyBudgetBlocksOnlyPaidTargets() throws Exception {
        Scripted w = weak();
        Scripted s = strong();
        try (Router r = cascade(w, s, new Budget(new BigDecimal("0.01")), null)) {
            assertThat(r.answer(q("y")).target()).isEqualTo("teacher"); // spends the whole budget
            Answer again = r.answer(q("y"));
            assertThat(again.target()).isEqualTo("small"); // escalation skipped, the free answer stands
            assertThat(s.calls.get()).isEqualTo(1);
            w.fail = true;
            assertThatThrownBy(() -> r.answer(q("x"))).hasMessageContaining("teacher(budget)");
        }
    }

    @Test
    void midStreamFailureContinuesOnTheFallbackWithoutRepeatingText() throws Exception {
        Scripted w = new Scripted("small", Map.of(), Map.of(), BigDecimal.ZERO);
        Scripted s = new Scripted("teacher", Map.of("x", "card_arrival"), Map.of(), PRICE);
        try (Router r = new Router("r", Map.of("small", w, "teacher", s), new RulesPolicy(List.of(), "small", "teacher"),
                List.of("teacher"), null, Budget.unlimited())) {
            w.streamThenFail = "card_";
            StringBuilder client = new StringBuilder();
            List<String> restarts = new ArrayList<>();
            Answer a = r.answer(q("x"), client::append, restarts::add);
            assertThat(client).hasToString("card_arrival");
            assertThat(restarts).isEmpty();
            assertThat(a.target()).isEqualTo("teacher");
            w.streamThenFail = "refu";
            StringBuilder c2 = new StringBuilder();
            r.answer(q("x"), c2::append, restarts::add);
            assertThat(restarts).containsExactly("restarted on teacher after a failure mid-stream");
            assertThat(c2).hasToString("refucard_arrival"); // what the client saw; the restart event tells it to drop "refu"
        }
    }

    @Test
    void rulesMatchRegexKeywordsAndLength() {
        RulesPolicy p = new RulesPolicy(List.of(new RulesPolicy.Rule(Pattern.compile("(?i)refund"), null, null, null, "teacher"),
                new RulesPolicy.Rule(null, List.of("fraud", "Lawyer"), 5, 40, "teacher")), "small", "teacher");
        assertThat(p.first(q("I want a REFUND"))).isEqualTo("teacher");
        assertThat(p.first(q("my lawyer says hi"))).isEqualTo("teacher");
        assertThat(p.first(q("my lawyer says hi and this message is far too long for the rule"))).isEqualTo("small");
        assertThat(p.first(q("where is my card"))).isEqualTo("small");
        assertThat(p.score(q("refund"), null)).isEqualTo(1);
    }

    @Test
    void routeEvalAgreesWithTheRouterAndComputesTheCurve() throws Exception {
        Scripted w = weak();
        Scripted s = strong();
        List<DataFile.Row> data = List.of(new DataFile.Row(1, "x", "a"), new DataFile.Row(2, "y", "a"), new DataFile.Row(3, "z", "b"));
        try (Router r = cascade(w, s, Budget.unlimited(), null)) {
            RouteEval.Result res = RouteEval.run(r, task, data, null, 2, m -> { });
            // weak: x right (a), y wrong (b), z invalid → 1/3; strong: x a ✓, y a ✓, z b ✓ → 1
            assertThat(res.curve().weakQuality()).isEqualTo(1.0 / 3);
            assertThat(res.curve().strongQuality()).isEqualTo(1.0);
            assertThat(res.toStrong()).containsExactly(false, true, true);
            for (int i = 0; i < data.size(); i++) {
                assertThat(r.answer(q(data.get(i).input())).target()).isEqualTo(res.toStrong()[i] ? "teacher" : "small");
            }
            assertThat(res.accuracy()).isEqualTo(1.0);
            assertThat(res.teacherShare()).isEqualTo(2.0 / 3);
            // scores: x 0.05, y 0.6, z 2 (invalid) → z, y, x: PGR 0, .5, 1, 1 at shares 0, 1/3, 2/3, 1
            assertThat(res.curve().apgr()).isCloseTo((0.25 + 0.75 + 1) / 3, org.assertj.core.api.Assertions.within(1e-12));
            var json = RouteEval.json(res);
            assertThat(json.path("accuracy").asDouble()).isEqualTo(1.0);
            assertThat(json.path("cost_usd").decimalValue()).isEqualByComparingTo("0.02");
            assertThat(json.path("teacher_only_cost_usd").decimalValue()).isEqualByComparingTo("0.03");
            assertThat(json.path("cpt50").asDouble()).isEqualTo(1.0 / 3);
            double t = RouteEval.calibrate(r, task, data, 1.0 / 3, 2, m -> { });
            assertThat(t).isEqualTo(2.0);
            assertThat(RouteEval.run(r, task, data, t, 2, m -> { }).teacherShare()).isEqualTo(1.0 / 3);
        }
    }
}
