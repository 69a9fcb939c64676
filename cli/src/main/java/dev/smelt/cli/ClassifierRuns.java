package dev.smelt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import java.nio.file.Path;
import java.util.List;

/** Batch-by-batch embedding and prediction with a progress bar, and the test metrics every classifier run reports. Stateless. */
final class ClassifierRuns {
    private ClassifierRuns() {
    }

    /** Embeddings of every text, batch by batch with a progress bar. */
    static float[][] embedAll(BertEmbedder e, List<String> texts, String label) {
        Progress p = new Progress(System.err, label, texts.size());
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < texts.size(); i += BertEmbedder.BATCH) {
            int end = Math.min(texts.size(), i + BertEmbedder.BATCH);
            float[][] v = e.embed(texts.subList(i, end));
            System.arraycopy(v, 0, out, i, v.length);
            p.update(end, end + "/" + texts.size());
        }
        return out;
    }

    /** Test metrics of the saved directory {@code dir}, loaded exactly as {@code smelt classify --model DIR} loads it. */
    static void testSaved(Path dir, int threads, LabeledTexts held, Path test, ObjectNode m) throws java.io.IOException {
        try (TextClassifier c = TextClassifier.open(dir, threads)) {
            testMetrics(c, held, test, m);
        }
    }

    /** Test accuracy (top label, and with the out-of-scope threshold) of classifier {@code c}, into m. */
    static void testMetrics(TextClassifier c, LabeledTexts held, Path test, ObjectNode m) {
        List<SoftmaxClassifier.Prediction> pr = predictAll(c, held.texts(), "classifying " + test.getFileName());
        int ok = 0;
        int okInScope = 0;
        int unknown = 0;
        for (int i = 0; i < pr.size(); i++) {
            SoftmaxClassifier.Prediction p = pr.get(i);
            ok += c.bestLabel(p).equals(held.labels().get(i)) ? 1 : 0;
            unknown += p.label().equals(SoftmaxClassifier.UNKNOWN) ? 1 : 0;
            okInScope += p.label().equals(held.labels().get(i)) ? 1 : 0;
        }
        m.put("test_examples", pr.size()).put("test_accuracy", (double) ok / pr.size())
                .put("test_accuracy_with_threshold", (double) okInScope / pr.size())
                .put("test_unknown_rate", (double) unknown / pr.size());
    }

    /** Predictions for every text, batch by batch with a progress bar. */
    static List<SoftmaxClassifier.Prediction> predictAll(TextClassifier c, List<String> texts, String label) {
        Progress p = new Progress(System.err, label, texts.size());
        List<SoftmaxClassifier.Prediction> out = new java.util.ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i += BertEmbedder.BATCH) {
            int end = Math.min(texts.size(), i + BertEmbedder.BATCH);
            out.addAll(c.predict(texts.subList(i, end)));
            p.update(end, end + "/" + texts.size());
        }
        return out;
    }
}
