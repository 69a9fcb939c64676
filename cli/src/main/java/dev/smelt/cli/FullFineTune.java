package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.Abstention;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.encoder.ClassifierFineTune;
import dev.smelt.train.encoder.EncoderFineTuner;

/** {@code classify-train --method full}: fine-tunes the encoder with the head, then tests the saved directory. */
final class FullFineTune {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FullFineTune() {
    }

    /** The fine-tuning options of this run: the user's, else the defaults. */
    static EncoderFineTuner.Options options(ClassifierTrainSpec a) {
        EncoderFineTuner.Options d = EncoderFineTuner.Options.defaults();
        return new EncoderFineTuner.Options(a.epochs() != null ? a.epochs() : d.epochs(), a.batchSize(),
                a.lr() != null ? (float) (double) a.lr() : d.lr(), d.headLrFactor(), d.warmupFraction(), d.weightDecay(), a.dropout(),
                d.maxGradNorm(), a.patience() != null ? a.patience() : d.patience(), a.seed());
    }

    /** Progress bar of the steps and a line per epoch on stderr. */
    static EncoderFineTuner.Listener listener(ClassifierTrainSpec a) {
        Progress[] bar = new Progress[1];
        return new EncoderFineTuner.Listener() {
            double ema = Double.NaN;

            @Override
            public void step(long step, long total, double loss, double exPerSec) {
                if (bar[0] == null) {
                    bar[0] = new Progress(System.err, "fine-tuning " + a.model(), total);
                }
                ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
                bar[0].update(step, String.format("loss %.4f, %.1f ex/s,", ema, exPerSec));
            }

            @Override
            public void epoch(int epoch, double trainLoss, double valAccuracy, double valLoss) {
                System.err.printf("epoch %d: train loss %.4f, validation accuracy %.4f, validation loss %.4f%n",
                        epoch, trainLoss, valAccuracy, valLoss);
            }
        };
    }

    static int run(ClassifierTrainSpec a, LabeledTexts train) throws Exception {
        EncoderFineTuner.Options opt = options(a);
        LabeledTexts held = a.test() == null ? null : LabeledTexts.read(a.test(), a.textColumn(), a.labelColumn());
        int n = a.threads();
        long t0 = System.nanoTime();
        ClassifierFineTune.Output o;
        try (BertEmbedder base = LoadLog.timedEmbedder(System.err, a.model(), () -> Embedders.open(a.model(), 1)); ThreadPool pool = new ThreadPool(n)) {
            EncoderFineTuner.Listener l = listener(a);
            o = ClassifierFineTune.train(base, a.model(), train.texts(), train.labels(), a.valFraction(), opt, a.abstention(), pool, l);
        }
        ObjectNode m = o.head().metrics();
        m.put("total_train_seconds", (System.nanoTime() - t0) / 1e9);
        ClassifierFineTune.save(o, a.model(), a.out());
        if (held != null) {
            ClassifierRuns.testSaved(a.out(), n, held, a.test(), m, a.abstention());
            o.head().save(a.out()); // with the test metrics
        }
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
        return 0;
    }
}
