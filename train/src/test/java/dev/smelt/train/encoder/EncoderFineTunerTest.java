package dev.smelt.train.encoder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.classify.LabeledTexts;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small real fine-tuning run: all-MiniLM-L6-v2 on 4 Banking77 intents (10 examples each, 2 per intent held
 * out): the training loss falls, held-out accuracy is above chance, and the saved directory loads through the
 * inference embedder and classifies with the same accuracy.
 */
class EncoderFineTunerTest {
    private static final Set<String> INTENTS = Set.of("card_arrival", "exchange_rate", "lost_or_stolen_card", "top_up_failed");
    static final double CHANCE = 1.0 / INTENTS.size();

    /**
     * Fast: a tiny random BERT learns which of three marker tokens a sequence contains (the other tokens are
     * noise), held-out sequences included.
     */
    @Test
    void tinyBertLearnsMarkerTokens() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        int n = 60;
        int[][] seqs = new int[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            seqs[i] = markerSequence(r, y[i]);
        }
        int[] train = java.util.stream.IntStream.range(0, 48).toArray();
        int[] val = java.util.stream.IntStream.range(48, n).toArray();
        try (ThreadPool pool = new ThreadPool(2)) {
            TrainableBert m = TrainableBert.from(TinyBert.random(dev.smelt.model.encoder.Pooling.MEAN, 1), 3, 1, pool);
            EncoderFineTuner.Options opt = new EncoderFineTuner.Options(20, 8, 3e-3f, 3f, 0.1f, 0.01f, 0f, 1f, 20, 5);
            EncoderFineTuner t = new EncoderFineTuner(m, opt, pool, null);
            double before = t.evaluate(seqs, y, val)[1];
            EncoderFineTuner.Result res = t.fit(seqs, y, train, val);
            assertThat(res.trainLoss().getLast()).as("train loss per epoch %s", res.trainLoss()).isLessThan(res.trainLoss().getFirst() * 0.5);
            double[] after = t.evaluate(seqs, y, val);
            assertThat(after[1]).as("held-out loss").isLessThan(before);
            assertThat(after[0]).as("held-out accuracy (chance 1/3)").isGreaterThan(0.6);
        }
    }

    /** [CLS] 3–7 noise tokens with marker token 3 + label at a random place [SEP]. */
    private static int[] markerSequence(java.util.SplittableRandom r, int label) {
        int len = 3 + r.nextInt(5);
        int[] s = new int[len + 2];
        s[0] = 1;
        for (int j = 1; j <= len; j++) {
            s[j] = 6 + r.nextInt(TinyBert.VOCAB - 6);
        }
        s[1 + r.nextInt(len)] = 3 + label;
        s[len + 1] = 2;
        return s;
    }

    /**
     * Early stopping picks the epoch with the lowest validation loss and restores its weights: a tiny BERT
     * memorizes a small training set whose labels are partly wrong, so the validation loss falls, then rises.
     */
    @Test
    void earlyStoppingKeepsTheLowestValidationLossEpoch() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        int n = 96;
        int[][] seqs = new int[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int truth = i % 3;
            seqs[i] = markerSequence(r, truth);
            // a quarter of the training labels are wrong (validation labels are right): memorizing them hurts
            y[i] = i < TRAIN && i % 4 == 0 ? (truth + 1 + r.nextInt(2)) % 3 : truth;
        }
        int[] train = java.util.stream.IntStream.range(0, TRAIN).toArray();
        int[] val = java.util.stream.IntStream.range(TRAIN, n).toArray();
        try (ThreadPool pool = new ThreadPool(2)) {
            TrainableBert m = TrainableBert.from(TinyBert.random(dev.smelt.model.encoder.Pooling.MEAN, 1), 3, 1, pool);
            EncoderFineTuner.Options opt = new EncoderFineTuner.Options(EPOCHS, 8, 3e-3f, 3f, 0f, 0f, 0f, 0f, EPOCHS, 5);
            EncoderFineTuner t = new EncoderFineTuner(m, opt, pool, null);
            EncoderFineTuner.Result res = t.fit(seqs, y, train, val);
            List<Double> loss = res.valLoss();
            int argmin = 0;
            for (int e = 1; e < loss.size(); e++) {
                argmin = loss.get(e) < loss.get(argmin) ? e : argmin;
            }
            assertThat(res.epochsRun()).isEqualTo(EPOCHS);
            assertThat(res.bestEpoch()).as("validation loss per epoch %s", loss).isEqualTo(argmin + 1);
            assertThat(res.bestEpoch()).as("the loss must fall, then rise, for the choice and the restore to matter; losses %s", loss)
                    .isBetween(2, EPOCHS - 4);
            assertThat(loss.getLast()).as("validation loss per epoch %s", loss).isGreaterThan(loss.get(argmin));
            double restored = t.evaluate(seqs, y, val)[1];
            assertThat(restored).as("validation loss of the restored weights vs epoch %d's %s", res.bestEpoch(), loss)
                    .isEqualTo(loss.get(argmin));

            // the same run with patience 3 stops after 3 epochs without a lower loss, keeping the same epoch; a
            // fixed seed gives the same bits (once failed in CI when a JIT tier changed GELU's exp)
            TrainableBert m2 = TrainableBert.from(TinyBert.random(dev.smelt.model.encoder.Pooling.MEAN, 1), 3, 1, pool);
            EncoderFineTuner.Result early = new EncoderFineTuner(m2, opt.withPatience(3), pool, null).fit(seqs, y, train, val);
            assertThat(early.bestEpoch()).as("losses %s", early.valLoss()).isEqualTo(res.bestEpoch());
            assertThat(early.epochsRun()).as("losses %s", early.valLoss()).isEqualTo(res.bestEpoch() + 3);
            for (int e = 0; e < early.epochsRun(); e++) {
                assertThat(early.valLoss().get(e)).as("epoch %d, both runs %s vs %s", e + 1, early.valLoss(), loss)
                        .isEqualTo(loss.get(e));
            }
        }
    }

    private static final int EPOCHS = 30;
    private static final int TRAIN = 64;

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void lossFallsAndHeldOutAccuracyBeatsChance(@TempDir Path dir) throws Exception {
        LabeledTexts all = LabeledTexts.read(SharedData.require("data/banking77/train.csv"), "text", "category");
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        for (int i = 0; i < all.texts().size(); i++) {
            String l = all.labels().get(i);
            if (INTENTS.contains(l) && seen.merge(l, 1, Integer::sum) <= 10) {
                texts.add(all.texts().get(i));
                labels.add(l);
            }
        }
        EncoderFineTuner.Options opt = new EncoderFineTuner.Options(4, 8, 2e-4f, 50f, 0.1f, 0.01f, 0.1f, 1f, 4, 7);
        try (BertEmbedder base = Embedders.open("all-minilm-l6-v2", 1); ThreadPool pool = new ThreadPool(2)) {
            ClassifierFineTune.Output o = ClassifierFineTune.train(base, "all-minilm-l6-v2", texts, labels, 0.2, opt, dev.smelt.model.classify.Abstention.none(), pool, null);
            List<Double> loss = o.result().trainLoss();
            assertThat(loss.getLast()).as("train loss per epoch %s", loss).isLessThan(loss.getFirst() * 0.8);
            double valAcc = o.head().metrics().path("validation_accuracy").asDouble();
            assertThat(valAcc).as("held-out accuracy, chance %.2f", CHANCE).isGreaterThan(CHANCE + 0.25);
            assertThat(o.head().temperature()).isPositive();

            ClassifierFineTune.save(o, "all-minilm-l6-v2", dir);
            SoftmaxClassifier head = SoftmaxClassifier.load(dir);
            assertThat(head.encoder()).isEqualTo(ClassifierFineTune.ENCODER_DIR);
            try (BertEmbedder tuned = Embedders.open(dir.resolve(head.encoder()).toString(), 2)) {
                assertThat(tuned.config().normalize()).as("head trained on raw pooled vectors").isFalse();
                float[][] x = tuned.embed(texts);
                float[][] direct = new EncoderFineTuner(o.model(), opt, pool, null).embed(
                        texts.stream().map(base::tokens).toArray(int[][]::new), java.util.stream.IntStream.range(0, texts.size()).toArray());
                for (int i = 0; i < x.length; i++) {
                    for (int j = 0; j < x[i].length; j++) {
                        assertThat((double) Math.abs(x[i][j] - direct[i][j])).as("saved model text %d [%d]", i, j)
                                .isLessThanOrEqualTo(TrainableBertTest.EMBED_TOL * 10);
                    }
                }
                int ok = 0;
                for (int i = 0; i < x.length; i++) {
                    double[] p = head.probabilities(x[i]);
                    int best = 0;
                    for (int c = 1; c < p.length; c++) {
                        best = p[c] > p[best] ? c : best;
                    }
                    ok += head.labels().get(best).equals(labels.get(i)) ? 1 : 0;
                }
                assertThat((double) ok / x.length).as("accuracy of the saved classifier on its 40 examples").isGreaterThan(CHANCE + 0.25);
            }
        }
    }
}
