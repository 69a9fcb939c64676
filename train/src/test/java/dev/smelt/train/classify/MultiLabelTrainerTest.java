package dev.smelt.train.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.classify.Abstention;
import dev.smelt.model.classify.MultiLabelScore;
import dev.smelt.model.classify.SoftmaxClassifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The multi-label head on synthetic data whose label sets a linear sigmoid head can learn and a softmax head cannot. */
class MultiLabelTrainerTest {
    /** Micro-F1 the head must reach on fresh data: a softmax (one label per text) caps near 2/3 here, every label missing half. */
    static final double MIN_MICRO_F1 = 0.95;
    static final String[] NAMES = {"a", "b", "c", "d"};

    /**
     * Label j is on when coordinate j of an 8-dimensional Gaussian point is above 0.3: about a third of the points carry
     * two or more labels, a fifth none.
     */
    static float[][] data(SplittableRandom r, int n, List<List<String>> sets) {
        float[][] x = new float[n][8];
        for (int i = 0; i < n; i++) {
            List<String> s = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                x[i][k] = (float) r.nextGaussian();
            }
            for (int j = 0; j < NAMES.length; j++) {
                if (x[i][j] > 0.3) {
                    s.add(NAMES[j]);
                }
            }
            sets.add(s);
        }
        return x;
    }

    static LogisticTrainer.Options options() {
        return new LogisticTrainer.Options(0.2, 400, 20, 32, 0.05, 0, 7, Abstention.none());
    }

    @Test
    void learnsOverlappingLabelsWithIndependentProbabilities(@TempDir Path dir) throws Exception {
        List<List<String>> sets = new ArrayList<>();
        float[][] x = data(new SplittableRandom(3), 400, sets);
        assertThat(sets).as("the data has empty and multi-label rows").anyMatch(List::isEmpty).anyMatch(s -> s.size() >= 2);
        SoftmaxClassifier head = new MultiLabelTrainer(options(), MultiLabelTrainer.Threshold.byDefault(), null).fit("enc", x, sets);
        assertThat(head.multiLabel()).isTrue();
        assertThat(head.labels()).containsExactly(NAMES);
        assertThat(head.threshold()).isEqualTo(0.5);
        assertThat(head.metrics().path("threshold_source").asText()).isEqualTo("default");
        List<List<String>> testSets = new ArrayList<>();
        float[][] test = data(new SplittableRandom(99), 300, testSets);
        List<Set<String>> gold = new ArrayList<>();
        List<Set<String>> got = new ArrayList<>();
        boolean someSumAboveOne = false;
        for (int i = 0; i < test.length; i++) {
            double[] p = head.probabilities(test[i]);
            double sum = 0;
            for (double v : p) {
                sum += v;
            }
            someSumAboveOne |= sum > 1.5;
            Set<String> s = new HashSet<>();
            head.answered(p).forEach(j -> s.add(NAMES[j]));
            got.add(s);
            gold.add(new HashSet<>(testSets.get(i)));
        }
        assertThat(someSumAboveOne).as("sigmoids are independent: a text with several labels has several high probabilities").isTrue();
        MultiLabelScore score = MultiLabelScore.of(gold, got);
        assertThat(score.microF1()).as("micro-F1 on fresh data").isGreaterThan(MIN_MICRO_F1);
        assertThat(score.exactMatch()).isGreaterThan(0.8);
        head.save(dir);
        SoftmaxClassifier back = SoftmaxClassifier.load(dir);
        for (float[] v : test) {
            assertThat(back.probabilities(v)).containsExactly(head.probabilities(v));
        }
        assertThat(back.metrics().path("threshold_source").asText()).isEqualTo("default");
    }

    @Test
    void sameSeedSameHead() {
        List<List<String>> sets = new ArrayList<>();
        float[][] x = data(new SplittableRandom(5), 120, sets);
        SoftmaxClassifier a = new MultiLabelTrainer(options(), MultiLabelTrainer.Threshold.fitted(), null).fit("enc", x, sets);
        SoftmaxClassifier b = new MultiLabelTrainer(options(), MultiLabelTrainer.Threshold.fitted(), null).fit("enc", x, sets);
        assertThat(a.weights()).containsExactly(b.weights());
        assertThat(a.threshold()).isEqualTo(b.threshold());
        assertThat(a.metrics().path("threshold_source").asText()).isEqualTo("fitted");
        assertThat(a.metrics().path("validation_micro_f1").asDouble())
                .isGreaterThanOrEqualTo(a.metrics().path("validation_micro_f1_at_0.5").asDouble());
    }

    @Test
    void fittedThresholdMaximizesMicroF1() {
        // label 0 is on exactly when p ≥ 0.3: 0.5 misses two positives, the fit finds a threshold in (0.2, 0.3]
        double[][] p = {{0.9}, {0.35}, {0.3}, {0.2}, {0.1}};
        boolean[][] y = {{true}, {true}, {true}, {false}, {false}};
        double t = MultiLabelTrainer.fitThreshold(p, y);
        assertThat(t).isGreaterThan(0.2).isLessThanOrEqualTo(0.3);
        assertThat(MultiLabelScore.microF1(p, y, t)).isEqualTo(1.0);
    }

    @Test
    void fineTuningObjectiveScoresLikeTheHeadsLoss() {
        // full fine-tuning's validation: exact match at logit 0 (p = 0.5) and the BCE summed over labels
        boolean[][] y = {{true, false, true}, {false, false, false}};
        var obj = dev.smelt.train.encoder.EncoderFineTuner.Objective.multiLabel(y);
        float[] z = {2f, -1f, 0.5f, 3f, -2f, -0.1f};
        double[] first = obj.score(z, 0, 3, 0);
        double[] second = obj.score(z, 3, 3, 1);
        assertThat(first[0]).isEqualTo(1.0);
        assertThat(second[0]).as("label 0 at p = σ(3) is a false positive").isEqualTo(0.0);
        double want = MultiLabelTrainer.bce(2, true) + MultiLabelTrainer.bce(-1, false) + MultiLabelTrainer.bce(0.5, true);
        assertThat(first[1]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void thresholdOptionParses() {
        assertThat(MultiLabelTrainer.Threshold.parse(null).fit()).as("fitted unless given").isTrue();
        assertThat(MultiLabelTrainer.Threshold.parse("0.5").source()).isEqualTo("user");
        assertThat(MultiLabelTrainer.Threshold.parse("FIT").fit()).isTrue();
        assertThat(MultiLabelTrainer.Threshold.parse("0.3").value()).isEqualTo(0.3);
        assertThatThrownBy(() -> MultiLabelTrainer.Threshold.parse("1")).hasMessageContaining("--threshold must be in (0, 1)");
        assertThatThrownBy(() -> MultiLabelTrainer.Threshold.parse("half")).hasMessageContaining("--threshold must be a number in (0, 1) or 'fit'");
    }

    @Test
    void rowsWithoutLabelsAreNegativesButSomeLabelIsNeeded() {
        float[][] x = {{1, 0}, {0, 1}, {1, 1}};
        assertThatThrownBy(() -> new MultiLabelTrainer(options(), MultiLabelTrainer.Threshold.byDefault(), null)
                .fit("enc", x, List.of(List.of(), List.of(), List.of()))).hasMessageContaining("no example carries a label");
    }
}
