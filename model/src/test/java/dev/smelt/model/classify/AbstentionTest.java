package dev.smelt.model.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When a classifier abstains: only when asked for or learnable from an out-of-scope label. */
class AbstentionTest {
    @Test
    void defaultIsNoAbstentionUnlessTheDataHasAnOutOfScopeLabel() {
        assertThat(Abstention.resolve(List.of("a", "b"), null, null, null).mode()).isEqualTo(Abstention.Mode.NONE);
        assertThat(Abstention.resolve(List.of("a", "b", "OOS"), null, null, null)).isEqualTo(Abstention.oosLabel("OOS"));
        assertThat(Abstention.resolve(List.of("a", "other"), null, null, null)).isEqualTo(Abstention.oosLabel("other"));
        assertThat(Abstention.resolve(List.of("a", "b", "none"), "none", null, null)).isEqualTo(Abstention.oosLabel("none"));
        // an explicit threshold wins over a label that merely looks out-of-scope
        assertThat(Abstention.resolve(List.of("a", "other"), null, 0.3, null)).isEqualTo(Abstention.threshold(0.3));
        assertThat(Abstention.resolve(List.of("a", "b"), null, null, 0.1)).isEqualTo(Abstention.abstainRate(0.1));
        assertThat(Abstention.resolve(List.of("a", "b"), null, 0.0, null).mode()).isEqualTo(Abstention.Mode.NONE);
        assertThatThrownBy(() -> Abstention.resolve(List.of("a", "b"), "oos", null, null)).hasMessageContaining("--oos-label 'oos'");
        assertThatThrownBy(() -> Abstention.resolve(List.of("a", "b"), null, 0.5, 0.1)).hasMessageContaining("not both");
        assertThatThrownBy(() -> Abstention.abstainRate(1.5)).hasMessageContaining("--abstain-rate");
    }

    @Test
    void fitsEachKindOfThreshold() {
        double[] inTop = {0.9, 0.8, 0.7, 0.6, 0.95, 0.85, 0.75, 0.65, 0.99, 0.55};
        boolean[] ok = {true, true, true, false, true, true, true, false, true, false};
        assertThat(Abstention.none().fit(inTop, ok, new double[0], 0)).isZero();
        assertThat(Abstention.threshold(0.42).fit(inTop, ok, new double[0], 0)).isEqualTo(0.42);
        // 20% of the 10 validation answers fall below the threshold
        double t = Abstention.abstainRate(0.2).fit(inTop, ok, new double[0], 0);
        assertThat(java.util.Arrays.stream(inTop).filter(v -> v < t).count()).isEqualTo(2);
        // out-of-scope examples all at or below 0.6: the best split rejects them and keeps the right answers ≥ 0.7
        double[] oosTop = {0.3, 0.5, 0.6, 0.4};
        double s = Abstention.oosLabel("oos").fit(inTop, ok, oosTop, 0.3);
        assertThat(s).isGreaterThan(0.6).isLessThanOrEqualTo(0.7);
        // with no out-of-scope examples nothing can be fitted: no abstention
        assertThat(Abstention.oosLabel("oos").fit(inTop, ok, new double[0], 0)).isZero();
    }

    @Test
    void recordsHowTheThresholdWasSet() {
        assertThat(Abstention.none().json(0, 0).path("mode").asText()).isEqualTo("none");
        var o = Abstention.oosLabel("oos").json(0.4, 12);
        assertThat(o.path("mode").asText()).isEqualTo("oos_label");
        assertThat(o.path("oos_examples").asInt()).isEqualTo(12);
        assertThat(o.path("source").asText()).contains("12 examples labelled 'oos'");
    }
}
