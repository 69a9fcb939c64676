package dev.smelt.train.classify;

import dev.smelt.model.classify.Abstention;
import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.train.optim.AdamW;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The logistic head on synthetic data with a known answer, and the optimizer it runs on. */
class LogisticTrainerTest {
    /** float32 AdamW against a float64 Adam over 200 steps of |g| ≲ 3: relative error of a few float ulps per step. */
    static final double ADAM_TOL = 1e-5;

    /** Three well-separated Gaussian clusters in 8 dimensions: a linear head must separate them. */
    static float[][] clusters(SplittableRandom r, int perClass, List<String> labels, double noise) {
        float[][] x = new float[3 * perClass][8];
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < perClass; k++) {
                float[] v = x[c * perClass + k];
                for (int i = 0; i < 8; i++) {
                    v[i] = (float) ((i == c ? 1.0 : 0.0) + noise * r.nextGaussian());
                }
                labels.add("class" + c);
            }
        }
        return x;
    }

    @Test
    void learnsSeparableClassesCalibratesAndRoundTrips(@TempDir Path dir) throws Exception {
        List<String> labels = new ArrayList<>();
        float[][] x = clusters(new SplittableRandom(1), 60, labels, 0.15);
        LogisticTrainer.Options opt = new LogisticTrainer.Options(0.2, 300, 10, 16, 0.05, 1e-4, 7, Abstention.abstainRate(0.05));
        SoftmaxClassifier head = new LogisticTrainer(opt, null).train("test-encoder", x, labels);
        assertThat(head.labels()).containsExactly("class0", "class1", "class2");
        assertThat(head.metrics().path("validation_accuracy").asDouble()).isEqualTo(1.0);
        assertThat(head.temperature()).isBetween(0.05, 20.0);
        assertThat(head.threshold()).isBetween(0.0, 1.0);
        // calibration never makes validation NLL worse than T = 1 (T = 1 is inside the search interval)
        assertThat(head.metrics().path("validation_loss_calibrated").asDouble())
                .isLessThanOrEqualTo(head.metrics().path("validation_loss").asDouble() + 1e-9);
        float[] probe = {0, 0, 1, 0, 0, 0, 0, 0};
        assertThat(head.predict(probe).label()).isEqualTo("class2");
        float[] far = new float[8]; // equidistant from every class: low confidence → unknown
        assertThat(head.predict(far).probability()).isLessThan(0.9);
        head.save(dir);
        SoftmaxClassifier back = SoftmaxClassifier.load(dir);
        assertThat(back.weights()).containsExactly(head.weights());
        assertThat(back.temperature()).isEqualTo(head.temperature());
        assertThat(back.predict(probe).probability()).isEqualTo(head.predict(probe).probability());
    }

    @Test
    void aValidationSetWithNoErrorsLeavesTheTemperatureAtOne() {
        List<String> labels = new ArrayList<>();
        float[][] x = clusters(new SplittableRandom(3), 60, labels, 0.15);
        SoftmaxClassifier head = new LogisticTrainer(new LogisticTrainer.Options(0.2, 300, 10, 16, 0.05, 1e-4, 7, Abstention.none()), null)
                .train("e", x, labels);
        assertThat(head.metrics().path("validation_accuracy").asDouble()).isEqualTo(1.0);
        assertThat(head.temperature()).isEqualTo(1.0); // before: the search's bound, 0.05
    }

    @Test
    void aValidationSetWithErrorsStillFitsTheTemperature() {
        List<String> labels = new ArrayList<>();
        float[][] x = clusters(new SplittableRandom(4), 60, labels, 1.2); // overlapping clusters: some validation errors
        SoftmaxClassifier head = new LogisticTrainer(new LogisticTrainer.Options(0.2, 300, 10, 16, 0.05, 1e-4, 7, Abstention.none()), null)
                .train("e", x, labels);
        assertThat(head.metrics().path("validation_accuracy").asDouble()).isLessThan(1.0);
        assertThat(head.temperature()).isNotEqualTo(1.0);
        assertThat(head.metrics().path("validation_loss_calibrated").asDouble())
                .isLessThanOrEqualTo(head.metrics().path("validation_loss").asDouble() + 1e-9);
    }

    @Test
    void sameSeedSameHead() {
        List<String> l1 = new ArrayList<>();
        List<String> l2 = new ArrayList<>();
        float[][] x1 = clusters(new SplittableRandom(2), 20, l1, 0.5);
        float[][] x2 = clusters(new SplittableRandom(2), 20, l2, 0.5);
        LogisticTrainer.Options opt = new LogisticTrainer.Options(0.25, 30, 5, 8, 0.01, 1e-3, 3, Abstention.none());
        assertThat(new LogisticTrainer(opt, null).train("e", x1, l1).weights())
                .containsExactly(new LogisticTrainer(opt, null).train("e", x2, l2).weights());
    }

    @Test
    void stratifiedSplitKeepsEveryClassInValidation() {
        int[] y = new int[100];
        for (int i = 0; i < y.length; i++) {
            y[i] = i < 90 ? 0 : 1;
        }
        int[][] s = new LogisticTrainer(new LogisticTrainer.Options(0.1, 1, 1, 1, 0.1, 0, 1, Abstention.none()), null).stratifiedSplit(y, 2);
        assertThat(s[0].length + s[1].length).isEqualTo(100);
        assertThat(java.util.Arrays.stream(s[1]).map(i -> y[i]).distinct().count()).isEqualTo(2);
    }

    @Test
    void adamWWithoutDecayIsTheDoublePrecisionAdamTheHeadWasTrainedWith() {
        SplittableRandom r = new SplittableRandom(11);
        int n = 37;
        float[] p = new float[n];
        double[] ref = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) r.nextGaussian();
            ref[i] = p[i];
        }
        AdamW adam = new AdamW(new int[] {n}, 0f);
        double lr = 3e-3;
        for (int t = 1; t <= 200; t++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = (float) (r.nextGaussian() + ref[i]);
            }
            adam.beginStep();
            adam.update(0, p, g, (float) lr);
            double c1 = 1 - Math.pow(0.9, t), c2 = 1 - Math.pow(0.999, t);
            for (int i = 0; i < n; i++) { // Kingma & Ba, as LogisticTrainer's own Adam computed it before
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                ref[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8);
            }
        }
        for (int i = 0; i < n; i++) {
            assertThat(Math.abs(p[i] - ref[i])).as("parameter %d: AdamW %s, Adam %s", i, p[i], ref[i]).isLessThan(ADAM_TOL);
        }
    }
}
