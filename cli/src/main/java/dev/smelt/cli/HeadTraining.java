package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.train.classify.LogisticTrainer;

/** {@code classify-train --method head}: a softmax head on frozen encoder embeddings, then tests the saved directory. */
final class HeadTraining {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int DEFAULT_EPOCHS = 200;
    static final int DEFAULT_PATIENCE = 8;
    static final double DEFAULT_LR = 3e-3;
    private static final int BATCH = 64;

    private HeadTraining() {
    }

    /** The progress bar's last note: "early stop at epoch N" only when training ended before {@code epochs}. */
    static String endNote(int lastEpoch, int epochs) {
        return lastEpoch < epochs ? "early stop at epoch " + lastEpoch : "done";
    }

    /** The head's options for this run with the given epochs, patience and learning rate. */
    static LogisticTrainer.Options options(ClassifierTrainSpec a, int epochs, int patience, double lr) {
        return new LogisticTrainer.Options(a.valFraction(), epochs, patience, BATCH, lr, a.l2(), a.seed(), a.abstention());
    }

    /** The head's options with its defaults (setfit's head: its --epochs and --lr are the contrastive stage's). */
    static LogisticTrainer.Options defaultOptions(ClassifierTrainSpec a) {
        return options(a, DEFAULT_EPOCHS, DEFAULT_PATIENCE, DEFAULT_LR);
    }

    static int run(ClassifierTrainSpec a, LabeledTexts train) throws Exception {
        int epochs = a.epochs() != null ? a.epochs() : DEFAULT_EPOCHS;
        LogisticTrainer.Options opt = options(a, epochs, a.patience() != null ? a.patience() : DEFAULT_PATIENCE, a.lr() != null ? a.lr() : DEFAULT_LR);
        LabeledTexts held = a.test() == null ? null : LabeledTexts.read(a.test(), a.textColumn(), a.labelColumn());
        long t0 = System.nanoTime();
        LogisticTrainer.Fitted fitted;
        ObjectNode m;
        try (BertEmbedder e = LoadLog.timedEmbedder(System.err, a.model(), () -> Embedders.open(a.model(), a.threads()))) {
            float[][] x = ClassifierRuns.embedAll(e, train.texts(), "embedding " + a.data().getFileName());
            double embedSeconds = (System.nanoTime() - t0) / 1e9;
            Progress p = new Progress(System.err, "training head", epochs);
            int[] last = {0};
            fitted = new LogisticTrainer(opt, ep -> {
                last[0] = ep;
                p.update(ep, "epoch " + ep);
            }).fit(a.model(), x, train.labels());
            p.update(epochs, endNote(last[0], epochs));
            m = fitted.head().metrics();
            m.put("method", "head");
            m.put("encoder", a.model()).put("embed_seconds", embedSeconds).put("total_train_seconds", (System.nanoTime() - t0) / 1e9);
        }
        SoftmaxClassifier head = fitted.head();
        fitted.distance().save(a.out());
        head.save(a.out());
        if (held != null) {
            ClassifierRuns.testSaved(a.out(), a.threads(), held, a.test(), m, a.abstention());
            head.save(a.out()); // with the test metrics
        }
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
        return 0;
    }
}
