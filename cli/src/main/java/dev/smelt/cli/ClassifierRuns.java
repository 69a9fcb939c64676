package dev.smelt.cli;

import dev.smelt.model.classify.Abstention;
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
    static void testSaved(Path dir, int threads, LabeledTexts held, Path test, ObjectNode m, Abstention ab) throws java.io.IOException {
        try (TextClassifier c = TextClassifier.open(dir, threads)) {
            testMetrics(c, held, test, m, ab);
        }
    }

    /**
     * Test accuracy of classifier {@code c} into m: of the top label, and of the answer (with abstention: an
     * out-of-scope example is right when answered "unknown"); in-scope and out-of-scope parts separately.
     */
    static void testMetrics(TextClassifier c, LabeledTexts held, Path test, ObjectNode m, Abstention ab) {
        List<SoftmaxClassifier.Prediction> pr = predictAll(c, held.texts(), "classifying " + test.getFileName());
        int ok = 0;
        int answered = 0;
        int unknown = 0;
        int in = 0;
        int inOk = 0;
        int inUnknown = 0;
        int oosRejected = 0;
        for (int i = 0; i < pr.size(); i++) {
            SoftmaxClassifier.Prediction p = pr.get(i);
            String gold = held.labels().get(i);
            boolean oos = ab.isOos(gold);
            boolean unk = p.label().equals(SoftmaxClassifier.UNKNOWN);
            ok += c.bestLabel(p).equals(gold) ? 1 : 0;
            unknown += unk ? 1 : 0;
            answered += (oos ? unk : p.label().equals(gold)) ? 1 : 0;
            if (oos) {
                oosRejected += unk ? 1 : 0;
            } else {
                in++;
                inOk += p.label().equals(gold) ? 1 : 0;
                inUnknown += unk ? 1 : 0;
            }
        }
        m.put("test_examples", pr.size()).put("test_accuracy", (double) ok / pr.size())
                .put("test_accuracy_with_threshold", (double) answered / pr.size())
                .put("test_unknown_rate", (double) unknown / pr.size());
        if (in < pr.size()) {
            m.put("test_in_scope_examples", in).put("test_in_scope_accuracy", in == 0 ? Double.NaN : (double) inOk / in)
                    .put("test_in_scope_unknown_rate", in == 0 ? Double.NaN : (double) inUnknown / in)
                    .put("test_oos_examples", pr.size() - in).put("test_oos_recall", (double) oosRejected / (pr.size() - in));
        }
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
