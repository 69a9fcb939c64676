package dev.smelt.train.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.encoder.Pooling;
import dev.smelt.tensor.ThreadPool;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** SetFit's pair stage: the pairs it draws, and a tiny random BERT whose embeddings it pulls into label clusters. */
class ContrastiveTunerTest {
    /** Held-out accuracy a nearest-class-mean rule must reach on the marker task after the pair stage (chance 1/3). */
    static final double MIN_CENTROID_ACCURACY = 0.8;

    @Test
    void pairsAreBoundedBalancedSeededAndFromTheTrainingSplit() {
        // labels 0, 1, 2 with 5, 4, 1 training examples; index 10–12 are held out (label 0) and must appear in no pair
        int[] y = {0, 1, 0, 1, 0, 2, 1, 0, 1, 0, 0, 0, 0};
        int[] train = IntStream.range(0, 10).toArray();
        int k = 5;
        ContrastiveTuner.Pairs p = ContrastiveTuner.pairs(y, train, k, 11);
        Set<Integer> tr = new HashSet<>();
        for (int i : train) {
            tr.add(i);
        }
        int pos = 0;
        for (int i = 0; i < p.size(); i++) {
            assertThat(tr).as("pair %d (%d, %d) uses training examples only", i, p.a()[i], p.b()[i]).contains(p.a()[i], p.b()[i]);
            if (p.target()[i] == 1f) {
                pos++;
                assertThat(y[p.b()[i]]).as("positive pair %d", i).isEqualTo(y[p.a()[i]]);
                assertThat(p.b()[i]).as("positive pair %d pairs an example with another one", i).isNotEqualTo(p.a()[i]);
            } else {
                assertThat(p.target()[i]).isZero();
                assertThat(y[p.b()[i]]).as("negative pair %d", i).isNotEqualTo(y[p.a()[i]]);
            }
        }
        // every example starts ceil(5/2) = 3 positives and 2 negatives, except the single example of label 2 (no positive)
        assertThat(pos).isEqualTo(p.positives()).isEqualTo(9 * 3);
        assertThat(p.size()).isEqualTo(9 * 5 + 2).isLessThanOrEqualTo(k * train.length);
        long fromFive = IntStream.of(p.a()).filter(a -> a == 5).count();
        assertThat(fromFive).as("pairs started by the only example of its label").isEqualTo(2);

        ContrastiveTuner.Pairs again = ContrastiveTuner.pairs(y, train, k, 11);
        assertThat(again.b()).as("same seed, same pairs").isEqualTo(p.b());
        assertThat(ContrastiveTuner.pairs(y, train, k, 12).b()).as("another seed draws other partners").isNotEqualTo(p.b());
        assertThatThrownBy(() -> ContrastiveTuner.pairs(new int[] {0, 0, 0}, new int[] {0, 1, 2}, 2, 1))
                .hasMessageContaining("at least 2 labels");
    }

    @Test
    void smallTrainingSetsGetMorePairsPerExampleUpToSetFitsForty() {
        // 100 steps of 16 pairs = 1,600 pairs wanted
        assertThat(ContrastiveTuner.pairsPerExample(693, 4, 100, 16)).as("enough examples: the minimum").isEqualTo(4);
        assertThat(ContrastiveTuner.pairsPerExample(217, 4, 100, 16)).as("ceil(1600 / 217)").isEqualTo(8);
        assertThat(ContrastiveTuner.pairsPerExample(54, 4, 100, 16)).as("ceil(1600 / 54)").isEqualTo(30);
        assertThat(ContrastiveTuner.pairsPerExample(18, 4, 100, 16)).as("capped").isEqualTo(ContrastiveTuner.MAX_PAIRS_PER_EXAMPLE);
        assertThat(ContrastiveTuner.pairsPerExample(18, 4, 0, 16)).as("no step minimum").isEqualTo(4);
        assertThatThrownBy(() -> ContrastiveTuner.pairsPerExample(0, 4, 100, 16)).hasMessageContaining("examples 0");
    }

    @Test
    void positivePartnersAreDrawnFromEveryOtherMemberOfTheLabel() {
        int[] y = {0, 0, 0, 0, 1};
        int[] train = {0, 1, 2, 3, 4};
        int[] seen = new int[4];
        ContrastiveTuner.Pairs p = ContrastiveTuner.pairs(y, train, 400, 3);
        for (int i = 0; i < p.size(); i++) {
            if (p.a()[i] == 3 && p.target()[i] == 1f) {
                seen[p.b()[i]]++;
            }
        }
        assertThat(seen[3]).isZero();
        for (int j = 0; j < 3; j++) {
            // 200 draws over 3 partners: each about 67; a partner never or always drawn would fail
            assertThat(seen[j]).as("draws of partner %d for example 3: %s", j, Arrays.toString(seen)).isBetween(40, 95);
        }
    }

    /**
     * Three classes marked by one token among random noise tokens; a random tiny BERT's mean-pooled vectors barely
     * separate them. After the pair stage, held-out sequences are nearer their own class's mean embedding, the held-out
     * pair loss has fallen, and a second run with the same seed gives the same losses bit for bit.
     */
    @Test
    void pairStageClustersHeldOutSequencesByLabel() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 90;
        int[][] seqs = new int[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            seqs[i] = markerSequence(r, y[i]);
        }
        int[] train = IntStream.range(0, 60).toArray();
        int[] held = IntStream.range(60, n).toArray();
        ContrastiveTuner.Options opt = new ContrastiveTuner.Options(6, 6, 8, 3e-3f, 0.1f, 0.01f, 0f, 1f, 5);
        try (ThreadPool pool = new ThreadPool(2)) {
            TrainableBert m = TrainableBert.from(TinyBert.random(Pooling.MEAN, 1), 3, 1, pool);
            ContrastiveTuner.Pairs heldPairs = ContrastiveTuner.pairs(y, held, 6, 9);
            double before = pairLoss(m, pool, seqs, heldPairs);
            double accBefore = centroidAccuracy(m, pool, seqs, y, train, held);
            ContrastiveTuner.Result res = new ContrastiveTuner(m, opt, pool, null).fit(seqs, y, train);
            assertThat(res.pairs()).isEqualTo(60 * 6);
            assertThat(res.steps()).isEqualTo(6L * (360 / 8));
            assertThat(res.trainLoss().getLast()).as("pair loss per epoch %s", res.trainLoss()).isLessThan(res.trainLoss().getFirst() * 0.5);
            double after = pairLoss(m, pool, seqs, heldPairs);
            assertThat(after).as("held-out pair loss (before %.4f)", before).isLessThan(before * 0.5);
            double acc = centroidAccuracy(m, pool, seqs, y, train, held);
            assertThat(acc).as("held-out nearest-class-mean accuracy (before %.3f, chance 1/3)", accBefore)
                    .isGreaterThanOrEqualTo(MIN_CENTROID_ACCURACY).isGreaterThan(accBefore);

            TrainableBert m2 = TrainableBert.from(TinyBert.random(Pooling.MEAN, 1), 3, 1, pool);
            ContrastiveTuner.Result res2 = new ContrastiveTuner(m2, opt, pool, null).fit(seqs, y, train);
            assertThat(res2.trainLoss()).as("same seed and threads, same losses").isEqualTo(res.trainLoss());
        }
    }

    /** Mean squared error of the pairs' cosines against their targets under the current weights. */
    private static double pairLoss(TrainableBert m, ThreadPool pool, int[][] seqs, ContrastiveTuner.Pairs p) {
        float[][] x = SetFitTrain.embed(m, pool, seqs); // unit vectors: the cosine is the dot product
        double s = 0;
        for (int i = 0; i < p.size(); i++) {
            double c = 0;
            for (int j = 0; j < x[0].length; j++) {
                c += (double) x[p.a()[i]][j] * x[p.b()[i]][j];
            }
            s += (c - p.target()[i]) * (c - p.target()[i]);
        }
        return s / p.size();
    }

    /** Share of {@code held} whose embedding is most similar to its own label's mean training embedding. */
    private static double centroidAccuracy(TrainableBert m, ThreadPool pool, int[][] seqs, int[] y, int[] train, int[] held) {
        float[][] x = SetFitTrain.embed(m, pool, seqs);
        int d = x[0].length;
        double[][] mean = new double[3][d];
        for (int i : train) {
            for (int j = 0; j < d; j++) {
                mean[y[i]][j] += x[i][j];
            }
        }
        int ok = 0;
        for (int i : held) {
            int best = 0;
            double bestSim = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 3; c++) {
                double dot = 0;
                double norm = 0;
                for (int j = 0; j < d; j++) {
                    dot += x[i][j] * mean[c][j];
                    norm += mean[c][j] * mean[c][j];
                }
                double sim = dot / Math.sqrt(norm);
                if (sim > bestSim) {
                    bestSim = sim;
                    best = c;
                }
            }
            ok += best == y[i] ? 1 : 0;
        }
        return (double) ok / held.length;
    }

    /** [CLS] 3–7 noise tokens with marker token 3 + label at a random place [SEP]. */
    static int[] markerSequence(SplittableRandom r, int label) {
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
}
