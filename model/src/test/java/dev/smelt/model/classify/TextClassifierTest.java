package dev.smelt.model.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.model.encoder.Embedders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared classifier path: a saved head over the built-in encoder, predictions, top-k and argument checks. */
class TextClassifierTest {
    @Test
    void predictsLikeTheHeadOverTheEncoderAndRanksLabels(@TempDir Path tmp) throws Exception {
        Random r = new Random(5);
        float[] w = new float[3 * 384];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        SoftmaxClassifier head = new SoftmaxClassifier(Embedders.DEFAULT, List.of("a", "b", "c"), w, new float[3], 1.0, 0.99,
                new ObjectMapper().createObjectNode());
        Path dir = tmp.resolve("clf");
        head.save(dir);
        assertThat(TextClassifier.isClassifierDir(dir)).isTrue();
        assertThat(TextClassifier.isClassifierDir(tmp)).isFalse();
        assertThat(TextClassifier.isClassifierDir(tmp.resolve("missing"))).isFalse();
        assertThat(TextClassifier.encoderOf(dir, head)).as("no encoder/ inside: the built-in name").isEqualTo(Embedders.DEFAULT);
        Files.createDirectories(dir.resolve(Embedders.DEFAULT));
        assertThat(TextClassifier.encoderOf(dir, head)).as("a saved encoder inside wins").isEqualTo(dir.resolve(Embedders.DEFAULT).toString());
        Files.delete(dir.resolve(Embedders.DEFAULT));
        try (TextClassifier c = TextClassifier.open(dir, 1)) {
            List<String> texts = List.of("Where is my card?", "refund please", "hello");
            List<SoftmaxClassifier.Prediction> ps = c.predict(texts);
            float[][] x = c.embedder().embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                SoftmaxClassifier.Prediction p = ps.get(i);
                assertThat(p.probabilities()).isEqualTo(head.probabilities(x[i]));
                List<TextClassifier.Ranked> all = c.top(p, 10);
                assertThat(all).hasSize(3);
                assertThat(all.get(0).label()).isEqualTo(c.bestLabel(p));
                assertThat(all.get(0).probability()).isGreaterThanOrEqualTo(all.get(1).probability());
                assertThat(all.get(1).probability()).isGreaterThanOrEqualTo(all.get(2).probability());
                assertThat(p.label()).as("threshold 0.99 vs top %s", p.probability())
                        .isEqualTo(p.probability() < 0.99 ? SoftmaxClassifier.UNKNOWN : c.bestLabel(p));
                assertThat(c.top(p, 0)).isEmpty();
            }
            assertThatThrownBy(() -> c.top(ps.get(0), -1)).hasMessageContaining("-1");
        }
        assertThatThrownBy(() -> TextClassifier.open(dir, 0)).hasMessageContaining("0");
        assertThatThrownBy(() -> TextClassifier.open(tmp, 1)).hasMessageContaining("not a classifier directory");
    }
}
