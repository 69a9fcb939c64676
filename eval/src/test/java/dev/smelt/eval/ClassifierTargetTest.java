package dev.smelt.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.client.Canonical;
import dev.smelt.task.TaskSpec;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.encoder.Embedders;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTargetTest {
    /** Two encoder instances may sum in another order (threads, batch shapes): probabilities agree to float rounding. */
    private static final double PROBABILITY_TOLERANCE = 1e-5;
    @TempDir
    Path dir;

    private static SoftmaxClassifier head(int dim) {
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[3 * dim];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return new SoftmaxClassifier(Embedders.DEFAULT, List.of("a", "b", "c"), w, new float[3], 1.0, 0.0, Canonical.JSON.createObjectNode());
    }

    @Test
    void answersWithTheHeadsLabelAndCalibratedProbability() throws Exception {
        TaskSpec task = TaskSpec.parse("t", Canonical.JSON.readTree("{\"name\":\"t\",\"instructions\":\"c\",\"labels\":[\"a\",\"b\",\"c\"]}"));
        try (var enc = Embedders.open(Embedders.DEFAULT, 1)) {
            SoftmaxClassifier h = head(enc.dimension());
            h.save(dir.resolve("clf"));
            try (ClassifierTarget t = new ClassifierTarget("clf", dir.resolve("clf"), 1)) {
                for (String text : List.of("Where is my new card?", "I want a refund", "")) {
                    Answer a = t.answer(Query.of(task, "1", text));
                    SoftmaxClassifier.Prediction p = h.predict(enc.embed(List.of(text))[0]);
                    assertThat(a.text()).isEqualTo(p.label());
                    assertThat(a.confidence()).isCloseTo(p.probability(), org.assertj.core.api.Assertions.within(PROBABILITY_TOLERANCE));
                    assertThat(a.confidence()).isBetween(1.0 / 3, 1.0);
                    assertThat(a.costUsd()).isZero();
                    assertThat(a.inputTokens()).isGreaterThanOrEqualTo(2); // [CLS] and [SEP] at least
                }
                assertThat(t.isFree()).isTrue();
            }
        }
        head(7).save(dir.resolve("bad"));
        assertThatThrownBy(() -> new ClassifierTarget("bad", dir.resolve("bad"), 1)).hasMessageContaining("7-dimensional");
    }
}
