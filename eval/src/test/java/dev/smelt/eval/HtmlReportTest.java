package dev.smelt.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;
import org.junit.jupiter.api.Test;

/** report.html parsed as a browser would: zoomed accuracy axes, the operating point, labelled confusion axes, per-class table, errors. */
class HtmlReportTest {
    private static final double EPS = 1e-9;
    private static final String XSS = "<img src=x onerror=alert(1)>";

    private static EvalRecord rec(String id, String input, String expected, String predicted) {
        return new EvalRecord(id, input, expected, predicted, predicted, expected.equals(predicted), expected.equals(predicted) ? 1 : 0,
                predicted != null, "small", 1, 10, 1, BigDecimal.ZERO, Double.NaN, null);
    }

    /** 10 examples over labels a, b and an XSS label: 8 right, 2 wrong (a→b, xss→a). */
    private static List<EvalRecord> records() {
        List<EvalRecord> rs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rs.add(rec("a" + i, "text a " + i, "a", "a"));
            rs.add(rec("b" + i, "text b " + i, "b", "b"));
        }
        rs.add(rec("wrong1", XSS + " [x](javascript:alert(2))", "a", "b"));
        rs.add(rec("wrong2", "plain", XSS, "a"));
        return rs;
    }

    private static Document render(List<EvalRecord> rs, Metrics m, List<HtmlReport.CurvePoint> curve, HtmlReport.CurvePoint chosen) {
        String html = HtmlReport.render("eval " + XSS, List.of(new EvalReport.Evaluated("small " + XSS, "t", "label", m)),
                Map.of("small " + XSS, rs), curve, chosen);
        return Jsoup.parse(html);
    }

    @Test
    void perClassTableHoldsPrecisionRecallF1AndSupport() {
        List<EvalRecord> rs = records();
        Metrics m = Metrics.of(rs, List.of("a", "b", XSS));
        // a: tp 4, gold 5, predicted 5 → p 0.8, r 0.8; b: tp 4, gold 4, predicted 5 → p 0.8, r 1; xss: tp 0, gold 1
        List<Metrics.ClassStats> per = m.perClass();
        assertThat(per).extracting(Metrics.ClassStats::label).containsExactly("a", "b", XSS);
        assertThat(per.get(1).precision()).isCloseTo(0.8, within(EPS));
        assertThat(per.get(1).recall()).isCloseTo(1.0, within(EPS));
        assertThat(per.get(1).f1()).isCloseTo(2 * 0.8 / 1.8, within(EPS));
        assertThat(per.get(2).support()).isEqualTo(1);
        assertThat(per.get(2).f1()).isZero();
        assertThat(per.stream().mapToDouble(Metrics.ClassStats::f1).average().orElseThrow()).isCloseTo(m.macroF1(), within(EPS));

        Document d = render(rs, m, List.of(), null);
        Elements rows = d.select("table.per-class tr");
        assertThat(rows).hasSize(4); // header + 3 labels
        assertThat(rows.get(2).select("td").eachText()).containsExactly("b", "0.800", "1.000", "0.889", "4");
        assertThat(rows.get(3).select("td").first().text()).isEqualTo(XSS);
        assertThat(EvalReport.json(new EvalReport.Evaluated("s", "t", "label", m), true).path("per_class").path(1).path("recall").asDouble())
                .isEqualTo(1.0);
    }

    @Test
    void errorSampleShowsInputExpectedAndPredictedAsText() {
        List<EvalRecord> rs = records();
        Document d = render(rs, Metrics.of(rs, List.of("a", "b", XSS)), List.of(), null);
        Elements rows = d.select("table.errors tr");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(1).select("td").eachText()).containsExactly("wrong1", XSS + " [x](javascript:alert(2))", "a", "b");
        assertThat(rows.get(2).select("td").eachText()).containsExactly("wrong2", "plain", XSS, "a");
        // nothing from the data became markup: no image, no handler, no link anywhere in the document
        assertThat(d.select("img, script, a, [onerror]")).isEmpty();
        assertThat(d.title()).isEqualTo("eval " + XSS);
        assertThat(d.select("table.targets td").first().text()).isEqualTo("small " + XSS);
    }

    @Test
    void errorSampleIsBoundedAndInDataOrder() {
        List<EvalRecord> rs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            rs.add(rec("e" + i, "x".repeat(HtmlReport.TEXT_CHARS + 100), "a", "b"));
        }
        Document d = render(rs, Metrics.of(rs, List.of("a", "b")), List.of(), null);
        Elements rows = d.select("table.errors tr");
        assertThat(rows).hasSize(HtmlReport.ERROR_SAMPLE + 1);
        assertThat(rows.get(1).child(0).text()).isEqualTo("e0");
        assertThat(rows.get(1).child(1).text()).hasSize(HtmlReport.TEXT_CHARS + 1).endsWith("…");
        assertThat(d.text()).contains("The first " + HtmlReport.ERROR_SAMPLE + " of 50 wrong answers");
    }

    @Test
    void accuracyAxisIsZoomedToTheData() {
        List<EvalRecord> rs = records(); // accuracy 0.8
        List<HtmlReport.CurvePoint> curve = List.of(new HtmlReport.CurvePoint(0, 0.82, "t=1"), new HtmlReport.CurvePoint(0.5, 0.88, "t=0.5"),
                new HtmlReport.CurvePoint(1, 0.91, "t=0"));
        Document d = render(rs, Metrics.of(rs, List.of("a", "b", XSS)), curve, null);
        Elements svgs = d.select("svg");
        for (Element svg : List.of(svgs.get(0), svgs.get(1))) { // cost plot, routing curve
            List<Double> ticks = svg.select("text.y-tick").eachText().stream().map(t -> Double.parseDouble(t.replace("%", "")) / 100).toList();
            assertThat(ticks).hasSizeGreaterThanOrEqualTo(3);
            assertThat(ticks.getFirst()).as("lowest tick of %s", ticks).isGreaterThan(0.5);
            assertThat(ticks.getLast()).as("highest tick of %s", ticks).isLessThanOrEqualTo(1.0);
        }
        List<Double> curveTicks = svgs.get(1).select("text.y-tick").eachText().stream().map(t -> Double.parseDouble(t.replace("%", "")) / 100).toList();
        assertThat(curveTicks.getFirst()).isLessThanOrEqualTo(0.82).isGreaterThanOrEqualTo(0.7);
        assertThat(curveTicks.getLast()).isGreaterThanOrEqualTo(0.91).isLessThanOrEqualTo(1.0);
        HtmlReport.YRange r = HtmlReport.yRange(List.of(0.82, 0.91));
        assertThat(r.y(r.lo())).isEqualTo(48 + 320); // the range's ends are the frame's bottom and top
        assertThat(r.y(r.hi())).isEqualTo(48);
        assertThat(HtmlReport.yRange(List.of(1.0, 1.0)).hi()).isEqualTo(1.0);
        assertThat(HtmlReport.yRange(List.of(0.0)).lo()).isEqualTo(0.0);
    }

    @Test
    void operatingPointIsMarkedOnTheRoutingCurve() {
        List<EvalRecord> rs = records();
        List<HtmlReport.CurvePoint> curve = List.of(new HtmlReport.CurvePoint(0, 0.6, "t=1"), new HtmlReport.CurvePoint(1, 0.9, "t=0"));
        Document d = render(rs, Metrics.of(rs, List.of("a", "b", XSS)), curve, new HtmlReport.CurvePoint(0.25, 0.8, "threshold 0.7"));
        Element op = d.selectFirst("g.operating-point");
        assertThat(op).isNotNull();
        assertThat(Double.parseDouble(op.selectFirst("circle").attr("cx"))).isEqualTo(48 + 0.25 * 520);
        assertThat(op.text()).contains("25.0% to the teacher").contains("accuracy 80.0%").contains("threshold 0.7");
        assertThat(render(rs, Metrics.of(rs, List.of("a", "b", XSS)), curve, null).select("g.operating-point")).isEmpty();
    }

    @Test
    void confusionMatrixLabelsBothAxes() {
        List<EvalRecord> rs = records();
        Document d = render(rs, Metrics.of(rs, List.of("a", "b", XSS)), List.of(), null);
        Element svg = d.selectFirst("svg.confusion");
        assertThat(svg.select("text.axis-title").eachText()).containsExactly("predicted", "expected");
        List<String> rows = svg.select("text.row-label").stream().map(e -> e.ownText()).toList();
        List<String> cols = svg.select("text.col-label").stream().map(e -> e.ownText()).toList();
        assertThat(rows).containsExactly("a", "b", XSS.substring(0, 20) + "…", Scoring.INVALID);
        assertThat(cols).isEqualTo(rows);
        assertThat(svg.select("text.row-label title").get(2).text()).isEqualTo(XSS);
    }
}
