package dev.smelt.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.smelt.client.Canonical;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScoringTest {
    private static final double EPS = 1e-12;

    @Test
    void gsm8kNumbersComeFromTheHashesLineElseTheLastNumber() {
        String gold = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips.\n#### 72";
        assertThat(Scoring.extractNumber(gold)).contains(new BigDecimal("72"));
        assertThat(Scoring.numeric(gold, "She sold 72.0 clips in total.").correct()).isTrue();
        assertThat(Scoring.numeric(gold, "#### 72\nthen 5 more").correct()).isTrue();
        assertThat(Scoring.numeric(gold, "24 in May, so 96").correct()).isFalse();
        assertThat(Scoring.extractNumber("It costs $1,234.50.")).contains(new BigDecimal("1234.50"));
        assertThat(Scoring.extractNumber("#### -3")).contains(new BigDecimal("-3"));
        Scoring.Score none = Scoring.numeric(gold, "I do not know");
        assertThat(none.valid()).isFalse();
        assertThat(none.predicted()).isEqualTo(Scoring.INVALID);
    }

    @Test
    void jsonFieldF1CountsLeafPairs() throws Exception {
        var exp = Canonical.JSON.readTree("{\"a\":1,\"b\":\"x\",\"c\":[1,2]}");
        var got = Canonical.JSON.readTree("{\"a\":1.0,\"b\":\"y\",\"c\":[1]}");
        // leaves: expected {a=1, b="x", c/0=1, c/1=2}; got {a=1, b="y", c/0=1}: tp 2, P 2/3, R 1/2, F1 4/7
        assertThat(Scoring.fieldF1(exp, got)).isCloseTo(4.0 / 7, within(EPS));
        Scoring.Score s = Scoring.json(exp.toString(), "```json\n{\"a\":1,\"b\":\"x\",\"c\":[1,2]}\n```");
        assertThat(s.correct()).isTrue();
        assertThat(s.value()).isEqualTo(1.0);
        assertThat(Scoring.json(exp.toString(), "{\"a\":").valid()).isFalse();
    }

    @Test
    void exactMatchIgnoresOuterAndRepeatedWhitespace() {
        assertThat(Scoring.exact("SELECT a FROM t", "  SELECT  a\nFROM t ").correct()).isTrue();
        assertThat(Scoring.exact("SELECT a FROM t", "select a from t").correct()).isFalse();
    }

    @Test
    void macroF1AccuracyConfusionAndPercentilesByHand() {
        List<String> labels = List.of("a", "b", "c");
        String[][] gp = {{"a", "a"}, {"a", "b"}, {"b", "b"}, {"b", "zzz"}, {"c", "c"}};
        List<EvalRecord> rs = new ArrayList<>();
        for (int i = 0; i < gp.length; i++) {
            Scoring.Score s = Scoring.label(labels, gp[i][0], gp[i][1]);
            rs.add(new EvalRecord("" + i, "x", gp[i][0], gp[i][1], s.predicted(), s.correct(), s.value(), s.valid(), i < 3 ? "small" : "big",
                    i + 1, 10, 1, i < 3 ? BigDecimal.ZERO : new BigDecimal("0.25"), Double.NaN, null));
        }
        Metrics m = Metrics.of(rs, labels);
        assertThat(m.accuracy()).isEqualTo(3.0 / 5);
        // a: 2·1/(2+1) = 2/3; b: 2·1/(2+2) = 1/2; c: 1
        assertThat(m.macroF1()).isCloseTo((2.0 / 3 + 0.5 + 1) / 3, within(EPS));
        assertThat(m.confusion()[1][3]).isEqualTo(1); // b predicted <invalid>
        assertThat(m.confusion()[0][1]).isEqualTo(1);
        assertThat(m.validity()).isEqualTo(4.0 / 5);
        assertThat(m.latencyP50Ms()).isEqualTo(3);
        assertThat(m.latencyP95Ms()).isEqualTo(5);
        assertThat(m.costUsd()).isEqualByComparingTo("0.5");
        assertThat(m.byTarget().get("small").accuracy()).isEqualTo(2.0 / 3);
        assertThat(m.byTarget().get("big").n()).isEqualTo(2);
        assertThat(Metrics.percentile(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95)).isEqualTo(10);
        assertThat(Metrics.percentile(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50)).isEqualTo(5);

        String html = HtmlReport.render("t <x>", List.of(new EvalReport.Evaluated("small & big", "t", "label", m)),
                List.of(new HtmlReport.CurvePoint(0, 0.5, "1.0"), new HtmlReport.CurvePoint(1, 0.9, "0.0")));
        assertThat(html).contains("<svg").contains("polyline").contains("small &amp; big").contains("t &lt;x&gt;")
                .doesNotContain("<script").doesNotContain("src=").doesNotContain("href=");
        assertThat(EvalReport.json(new EvalReport.Evaluated("s", "t", "label", m), true).path("confusion").path("matrix").path(1).path(3).asInt())
                .isEqualTo(1);
    }

    @Test
    void logSoftmaxMatchesTheDefinition() {
        float[] l = {1f, 2f, 3f, 100f};
        double z = Math.exp(1 - 100) + Math.exp(2 - 100) + Math.exp(3 - 100) + 1;
        assertThat(LocalModelTarget.logSoftmaxAt(l, 2, 4)).isCloseTo(3 - 100 - Math.log(z), within(1e-9));
    }
}
