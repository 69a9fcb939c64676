package dev.smelt.train.encoder;

import dev.smelt.model.classify.Abstention;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.EncoderOps;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.train.classify.LogisticTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code smelt classify-train --method setfit}: the contrastive pair stage ({@link ContrastiveTuner}) on the training
 * split, then the frozen-embedding softmax head ({@link LogisticTrainer}: early stopping, temperature, threshold and
 * distance score on the validation split) on the tuned encoder's L2-normalized embeddings. The validation split is
 * {@link LogisticTrainer#stratifiedSplit} with the same fraction and seed the head uses, so no validation example is in
 * any pair. Saved as {@link ClassifierFineTune#save} writes a fine-tuned classifier, plus the Normalize module (the head
 * was trained on unit vectors). Stateless.
 */
public final class SetFitTrain {
    private SetFitTrain() {
    }

    /** The tuned encoder, the head trained on it, and what the contrastive stage did. */
    public record Output(TrainableBert model, LogisticTrainer.Fitted fitted, ContrastiveTuner.Result contrastive) {
    }

    /**
     * @param opt      the pair stage; its pairs per example are used as given unless {@code minSteps} > 0
     * @param minSteps when positive, pairs per example are {@link ContrastiveTuner#pairsPerExample} of the training split
     *                 with {@code opt}'s pairs as the minimum
     * @param head     options of the head; its validation fraction and seed also choose the examples kept out of the pairs
     */
    public static Output train(BertEmbedder base, String baseName, List<String> texts, List<String> labels, ContrastiveTuner.Options opt,
                               int minSteps, LogisticTrainer.Options head, ThreadPool pool, EncoderFineTuner.Listener listener) {
        if (texts.size() != labels.size()) {
            throw new IllegalArgumentException(texts.size() + " texts but " + labels.size() + " labels");
        }
        Abstention ab = head.abstention();
        List<Integer> in = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            if (!ab.isOos(labels.get(i))) {
                in.add(i);
            }
        }
        List<String> names = in.stream().map(labels::get).distinct().sorted().toList();
        if (names.size() < 2) {
            throw new IllegalArgumentException("need at least 2 distinct in-scope labels, got " + names);
        }
        int[][] seqs = texts.stream().map(base::tokens).toArray(int[][]::new);
        // y over every example (out-of-scope ones get -1 and are in no pair); the split is the head's, over in-scope ones
        int[] yIn = in.stream().mapToInt(i -> names.indexOf(labels.get(i))).toArray();
        int[] trainIn = LogisticTrainer.stratifiedSplit(yIn, names.size(), head.validationFraction(), head.seed())[0];
        int[] y = new int[texts.size()];
        java.util.Arrays.fill(y, -1);
        for (int k = 0; k < yIn.length; k++) {
            y[in.get(k)] = yIn[k];
        }
        int[] train = IntStream.of(trainIn).map(in::get).toArray();
        if (minSteps > 0) {
            opt = opt.withPairsPerExample(ContrastiveTuner.pairsPerExample(train.length, opt.pairsPerExample(), minSteps, opt.batchPairs()));
        }
        TrainableBert model = TrainableBert.from(base.weights(), names.size(), opt.seed(), pool);
        ContrastiveTuner.Result r = new ContrastiveTuner(model, opt, pool, listener).fit(seqs, y, train);
        float[][] x = embed(model, pool, seqs);
        LogisticTrainer.Fitted fitted = new LogisticTrainer(head, null).fit(ClassifierFineTune.ENCODER_DIR, x, labels);
        fitted.head().metrics().put("method", "setfit").put("base_encoder", baseName).put("contrastive_pairs", r.pairs())
                .put("contrastive_positive_pairs", r.positives()).put("contrastive_epochs", opt.epochs())
                .put("contrastive_steps", r.steps()).put("contrastive_seconds", r.seconds())
                .put("contrastive_learning_rate", opt.lr()).put("pairs_per_example", opt.pairsPerExample())
                .put("contrastive_batch_pairs", opt.batchPairs());
        var tl = fitted.head().metrics().putArray("contrastive_loss_per_epoch");
        r.trainLoss().forEach(tl::add);
        return new Output(model, fitted, r);
    }

    /** Every sequence's pooled vector under the current weights, L2-normalized (what the saved directory computes). */
    public static float[][] embed(TrainableBert model, ThreadPool pool, int[][] seqs) {
        EncoderFineTuner.Options any = EncoderFineTuner.Options.defaults();
        float[][] x = new EncoderFineTuner(model, any, pool, null).embed(seqs, IntStream.range(0, seqs.length).toArray());
        for (float[] v : x) {
            EncoderOps.l2Normalize(v);
        }
        return x;
    }

    /** Writes the classifier directory: the tuned encoder with a Normalize module, the head and the distance score. */
    public static void save(Output o, String base, Path dir) throws IOException {
        ClassifierFineTune.save(o.model(), o.fitted().head(), o.fitted().distance(), base, dir, true);
    }
}
