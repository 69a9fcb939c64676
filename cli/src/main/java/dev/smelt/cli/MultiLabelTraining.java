package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.DistanceScore;
import dev.smelt.model.classify.MultiLabelScore;
import dev.smelt.model.classify.MultiLabelTexts;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.classify.MultiLabelTrainer;
import dev.smelt.train.encoder.ClassifierFineTune;
import dev.smelt.train.encoder.EncoderFineTuner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code classify-train} on multi-label data: a sigmoid per label with binary cross-entropy, as the {@code head} (frozen
 * embeddings) or {@code full} (fine-tuned encoder) method, then the saved directory is tested (micro/macro-F1,
 * exact match, per label). Stateless.
 */
final class MultiLabelTraining {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MultiLabelTraining() {
    }

    static int run(ClassifierTrainSpec a, String method, MultiLabelTexts train, MultiLabelTrainer.Threshold threshold, String separator)
            throws Exception {
        MultiLabelTexts held = a.test() == null ? null : MultiLabelTexts.read(a.test(), a.textColumn(), a.labelColumn(), separator);
        long t0 = System.nanoTime();
        SoftmaxClassifier head;
        if (method.equals("full")) {
            head = full(a, train, threshold);
        } else {
            head = head(a, train, threshold);
        }
        ObjectNode m = head.metrics();
        m.put("method", method).put("label_separator", separator).put("total_train_seconds", (System.nanoTime() - t0) / 1e9);
        Files.deleteIfExists(a.out().resolve(DistanceScore.FILE)); // a single-label run's, from an earlier run into this directory
        head.save(a.out());
        if (held != null) {
            try (TextClassifier c = TextClassifier.open(a.out(), a.threads())) {
                testMetrics(c, held, a.test(), m);
            }
            head.save(a.out()); // with the test metrics
        }
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
        return 0;
    }

    /**
     * The multi-label head's defaults: dozens of rare labels, each a few positives, learn slower than one softmax; at the
     * single-label head's 3e-3 and 200 epochs NLU++ banking's head still improved at epoch 200 (micro-F1 0.578 with the
     * fitted threshold); at 0.03 it stopped at epoch 112 (best 62) with 0.614 (docs/BENCHMARKS.md).
     */
    static final double HEAD_LR = 0.03;
    static final int HEAD_EPOCHS = 1000;
    static final int HEAD_PATIENCE = 50;

    private static SoftmaxClassifier head(ClassifierTrainSpec a, MultiLabelTexts train, MultiLabelTrainer.Threshold threshold) throws Exception {
        int epochs = a.epochs() != null ? a.epochs() : HEAD_EPOCHS;
        var opt = HeadTraining.options(a, epochs, a.patience() != null ? a.patience() : HEAD_PATIENCE, a.lr() != null ? a.lr() : HEAD_LR);
        try (BertEmbedder e = LoadLog.timedEmbedder(System.err, a.model(), () -> Embedders.open(a.model(), a.threads()))) {
            long t0 = System.nanoTime();
            float[][] x = ClassifierRuns.embedAll(e, train.texts(), "embedding " + a.data().getFileName());
            double embedSeconds = (System.nanoTime() - t0) / 1e9;
            Progress p = new Progress(System.err, "training multi-label head", epochs);
            int[] last = {0};
            SoftmaxClassifier h = new MultiLabelTrainer(opt, threshold, ep -> {
                last[0] = ep;
                p.update(ep, "epoch " + ep);
            }).fit(a.model(), x, train.labels());
            p.update(epochs, HeadTraining.endNote(last[0], epochs));
            h.metrics().put("encoder", a.model()).put("embed_seconds", embedSeconds);
            return h;
        }
    }

    /**
     * Most epochs of multi-label full fine-tuning unless --epochs: single-label's 4 left every probability of NLU++ banking
     * (94 texts, 47 labels, 12 steps) below 0.5 and 15 reached micro-F1 0.29; 40 reached 0.56, its best epoch 27.
     * Without --patience every epoch runs and the lowest validation loss is kept (10 validation texts: a noisy loss).
     */
    static final int FULL_EPOCHS = 40;

    private static SoftmaxClassifier full(ClassifierTrainSpec a, MultiLabelTexts train, MultiLabelTrainer.Threshold threshold) throws Exception {
        int epochs = a.epochs() != null ? a.epochs() : FULL_EPOCHS;
        EncoderFineTuner.Options opt = FullFineTune.options(a).withEpochs(epochs).withPatience(a.patience() != null ? a.patience() : epochs);
        try (BertEmbedder base = LoadLog.timedEmbedder(System.err, a.model(), () -> Embedders.open(a.model(), 1));
             ThreadPool pool = new ThreadPool(a.threads())) {
            ClassifierFineTune.Output o = ClassifierFineTune.trainMultiLabel(base, a.model(), train.texts(), train.labels(), a.valFraction(),
                    opt, threshold, pool, FullFineTune.listener(a));
            ClassifierFineTune.save(o, a.model(), a.out());
            return o.head();
        }
    }

    /** Test micro/macro-F1, exact match and per-label stats of classifier {@code c} on {@code held} into {@code m}. */
    static void testMetrics(TextClassifier c, MultiLabelTexts held, Path test, ObjectNode m) {
        List<String> unseen = unseenLabels(c.labels(), held);
        if (!unseen.isEmpty()) {
            // scored honestly (each occurrence a miss), but a typo in the test file should not look like a weak model
            System.err.println("classify-train: " + test + " has " + unseen.size() + " label(s) the training data lacks, each occurrence "
                    + "counted as a miss: " + String.join(", ", unseen.subList(0, Math.min(unseen.size(), UNSEEN_SHOWN)))
                    + (unseen.size() > UNSEEN_SHOWN ? ", …" : ""));
            unseen.forEach(m.putArray("test_unseen_labels")::add);
        }
        List<SoftmaxClassifier.Prediction> pr = ClassifierRuns.predictAll(c, held.texts(), "classifying " + test.getFileName());
        List<Set<String>> gold = held.labels().stream().map(l -> (Set<String>) new HashSet<>(l)).toList();
        List<Set<String>> got = pr.stream().map(p -> answered(c, p)).toList();
        MultiLabelScore.of(gold, got).write(m, "test_");
        List<Set<String>> atHalf = pr.stream().map(p -> {
            Set<String> s = new HashSet<>();
            for (int j = 0; j < p.probabilities().length; j++) {
                if (p.probabilities()[j] >= MultiLabelTrainer.DEFAULT_THRESHOLD) {
                    s.add(c.labels().get(j));
                }
            }
            return s;
        }).toList();
        m.put("test_micro_f1_at_0.5", MultiLabelScore.of(gold, atHalf).microF1());
    }

    /** How many unseen test labels the notice names (the report lists them all). */
    static final int UNSEEN_SHOWN = 10;

    /** The labels of {@code held} that are not classes of the classifier, sorted. */
    static List<String> unseenLabels(List<String> classes, MultiLabelTexts held) {
        Set<String> known = new HashSet<>(classes);
        return held.labelNames().stream().filter(l -> !known.contains(l)).toList();
    }

    static Set<String> answered(TextClassifier c, SoftmaxClassifier.Prediction p) {
        Set<String> s = new HashSet<>();
        c.answered(p).forEach(r -> s.add(r.label()));
        return s;
    }

    /** Examples per label (positive occurrences over labels): what {@code --method auto} sizes multi-label data by. */
    static double perLabel(MultiLabelTexts train) {
        long occurrences = train.labels().stream().mapToLong(List::size).sum();
        int labels = train.labelNames().size();
        return labels == 0 ? 0 : (double) occurrences / labels;
    }
}
