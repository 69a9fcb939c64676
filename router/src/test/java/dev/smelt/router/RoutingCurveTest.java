package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutingCurveTest {
    private static final double EPS = 1e-12;

    @TempDir
    Path dir;

    @Test
    void perfectRouterByHand() {
        // weak right on 0 and 2, strong right everywhere; the scores rank the weak misses (1, 3) first
        RoutingCurve c = RoutingCurve.of(new double[] {1, 0, 1, 0}, new double[] {1, 1, 1, 1}, new double[] {0.1, 0.9, 0.2, 0.8});
        assertThat(c.points()).extracting(RoutingCurve.Point::share).containsExactly(0.0, 0.25, 0.5, 0.75, 1.0);
        assertThat(c.points()).extracting(RoutingCurve.Point::pgr).containsExactly(0.0, 0.5, 1.0, 1.0, 1.0);
        // trapezoids of width 1/4: (0+.5)/2 + (.5+1)/2 + 1 + 1 = 3 → 0.75
        assertThat(c.apgr()).isCloseTo(0.75, within(EPS));
        assertThat(c.cpt(0.5)).isEqualTo(0.25);
        assertThat(c.cpt(0.8)).isEqualTo(0.5);
        assertThat(c.bestWithin(0.25).quality()).isEqualTo(0.75);
    }

    @Test
    void invertedRouterAndTiesByHand() {
        // the worst order: weak misses last. Points: 0 → q .5, then 0, 2 go strong (no gain), then 3, 1
        RoutingCurve bad = RoutingCurve.of(new double[] {1, 0, 1, 0}, new double[] {1, 1, 1, 1}, new double[] {0.9, 0.1, 0.8, 0.2});
        assertThat(bad.points()).extracting(RoutingCurve.Point::pgr).containsExactly(0.0, 0.0, 0.0, 0.5, 1.0);
        assertThat(bad.apgr()).isCloseTo(0.25, within(EPS)); // (0 + 0 + .25 + .75) / 4
        // every score tied: one step from all-weak to all-strong, the expected curve of random routing
        RoutingCurve tied = RoutingCurve.of(new double[] {1, 0, 1, 0}, new double[] {1, 1, 1, 1}, new double[] {3, 3, 3, 3});
        assertThat(tied.points()).hasSize(2);
        assertThat(tied.apgr()).isCloseTo(0.5, within(EPS));
        assertThat(tied.cpt(0.5)).isEqualTo(1.0);
        // no gap between the models: PGR undefined
        RoutingCurve none = RoutingCurve.of(new double[] {1, 1, 0, 0}, new double[] {1, 0, 1, 0}, new double[] {1, 2, 3, 4});
        assertThat(none.apgr()).isNaN();
        assertThat(none.cpt(0.5)).isNaN();
    }

    @Test
    void thresholdCalibrationNeverExceedsTheTargetShare() {
        double[] s = {0.1, 0.9, 0.2, 0.8};
        assertThat(RoutingCurve.thresholdForShare(s, 0.5)).isEqualTo(0.8);
        assertThat(RoutingCurve.thresholdForShare(s, 0.25)).isEqualTo(0.9);
        assertThat(RoutingCurve.thresholdForShare(s, 0.6)).isEqualTo(0.8);
        assertThat(RoutingCurve.thresholdForShare(s, 0.0)).isInfinite();
        assertThat(RoutingCurve.thresholdForShare(s, 1.0)).isEqualTo(0.1);
        // three tied at 0.5: sending 2 of 4 is impossible, so nothing above the tie goes (share 0)
        assertThat(RoutingCurve.thresholdForShare(new double[] {0.5, 0.5, 0.5, 0.1}, 0.5)).isInfinite();
        assertThat(RoutingCurve.thresholdForShare(new double[] {0.5, 0.7, 0.5, 0.1}, 0.5)).isEqualTo(0.7);
    }

    @Test
    void logisticRegressionLearnsASeparableRuleAndRoundTrips() throws IOException {
        float[][] x = new float[40][];
        boolean[] y = new boolean[40];
        for (int i = 0; i < 40; i++) {
            y[i] = i % 2 == 0;
            x[i] = y[i] ? new float[] {1, 0.1f * (i % 5)} : new float[] {0, 0.1f * (i % 5)};
        }
        LogisticRegression lr = LogisticRegression.train(x, y, 1e-4, 500, 2.0, "f");
        for (int i = 0; i < 40; i++) {
            assertThat(lr.probability(x[i]) > 0.5).as("example %d", i).isEqualTo(y[i]);
        }
        Path f = dir.resolve("m.json");
        lr.save(f);
        LogisticRegression back = LogisticRegression.load(f);
        assertThat(back.probability(x[0])).isCloseTo(lr.probability(x[0]), within(1e-6));
        assertThat(back.features()).isEqualTo("f");
        float[][] h = new HashedNgrams(64).apply(java.util.List.of("Where is my card?", ""));
        double norm = 0;
        for (float v : h[0]) {
            norm += v * v;
        }
        assertThat(norm).isCloseTo(1.0, within(1e-5));
        assertThat(h[1]).containsOnly(0f);
    }
}
