package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.encoder.ContrastiveTuner;
import dev.smelt.train.encoder.EncoderFineTuner;
import dev.smelt.train.encoder.SetFitTrain;

/**
 * {@code classify-train --method setfit}: the contrastive pair stage tunes the encoder, the softmax head is trained on
 * its embeddings, then the saved directory is tested. {@code --epochs} and {@code --lr} are the pair stage's.
 */
final class SetFitTraining {
    /**
     * Pairs per training example (SetFit's default is 40: 20 iterations of one positive and one negative). 4 costs
     * 8 sentence passes per example, twice a 4-epoch full fine-tune's; on Banking77 at 10 per intent 4 pairs at 2e-5
     * beat 8 pairs at 5e-5 (84.2% vs 80.4%, docs/BENCHMARKS.md).
     */
    static final int DEFAULT_PAIRS = 4;
    /**
     * Without --pairs, small training sets get more pairs per example (up to SetFit's 40) so the stage has at least
     * this many steps: SMS spam at 10 per class (18 training examples) gained nothing from 4 pairs (5 steps).
     */
    static final int MIN_STEPS = 100;
    /** Peak learning rate of the pair stage (SetFit's 2e-5: all-MiniLM-L6-v2 is already contrastively trained; 5e-5 hurt). */
    static final double DEFAULT_LR = 2e-5;
    static final int DEFAULT_EPOCHS = 1;
    /** Pairs per step (SetFit's default batch of 16 pairs = 32 sentences, as --method full's 32 sequences). */
    static final int BATCH_PAIRS = 16;
    private static final float WARMUP = 0.1f;
    private static final float WEIGHT_DECAY = 0.01f;
    private static final float MAX_GRAD_NORM = 1f;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SetFitTraining() {
    }

    static int run(ClassifierTrainSpec a, LabeledTexts train) throws Exception {
        ContrastiveTuner.Options opt = new ContrastiveTuner.Options(a.epochs() != null ? a.epochs() : DEFAULT_EPOCHS,
                a.pairs() != null ? a.pairs() : DEFAULT_PAIRS, BATCH_PAIRS,
                (float) (a.lr() != null ? a.lr() : DEFAULT_LR), WARMUP, WEIGHT_DECAY, a.dropout(), MAX_GRAD_NORM, a.seed());
        LabeledTexts held = a.test() == null ? null : LabeledTexts.read(a.test(), a.textColumn(), a.labelColumn());
        long t0 = System.nanoTime();
        SetFitTrain.Output o;
        try (BertEmbedder base = LoadLog.timedEmbedder(System.err, a.model(), () -> Embedders.open(a.model(), 1));
             ThreadPool pool = new ThreadPool(a.threads())) {
            Progress[] bar = new Progress[1];
            EncoderFineTuner.Listener l = new EncoderFineTuner.Listener() {
                double ema = Double.NaN;

                @Override
                public void step(long step, long total, double loss, double pairsPerSec) {
                    if (bar[0] == null) {
                        bar[0] = new Progress(System.err, "contrastive pairs " + a.model(), total);
                    }
                    ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
                    bar[0].update(step, String.format("loss %.4f, %.1f pairs/s,", ema, pairsPerSec));
                }

                @Override
                public void epoch(int epoch, double trainLoss, double valAccuracy, double valLoss) {
                    System.err.printf("pair epoch %d: loss %.4f%n", epoch, trainLoss);
                }
            };
            o = SetFitTrain.train(base, a.model(), train.texts(), train.labels(), opt, a.pairs() != null ? 0 : MIN_STEPS,
                    HeadTraining.defaultOptions(a), pool, l);
        }
        ObjectNode m = o.fitted().head().metrics();
        m.put("total_train_seconds", (System.nanoTime() - t0) / 1e9);
        SetFitTrain.save(o, a.model(), a.out());
        if (held != null) {
            ClassifierRuns.testSaved(a.out(), a.threads(), held, a.test(), m, a.abstention());
            o.fitted().head().save(a.out()); // with the test metrics
        }
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
        return 0;
    }
}
