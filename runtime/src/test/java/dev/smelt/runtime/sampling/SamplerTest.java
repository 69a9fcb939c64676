package dev.smelt.runtime.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1f, 5f, 3f, -2f, 4.5f, 0f};
    private static final int DRAWS = 4000;

    private static SamplerConfig cfg(float temp, int topK, float topP, float minP) {
        return new SamplerConfig(temp, topK, topP, minP, 1f, 64, 0f, 0f, 7);
    }

    private static Map<Integer, Integer> histogram(SamplerConfig c) {
        Sampler s = new Sampler(c);
        Map<Integer, Integer> h = new HashMap<>();
        for (int i = 0; i < DRAWS; i++) {
            h.merge(s.sample(LOGITS, 0, LOGITS.length, new int[0], 0), 1, Integer::sum);
        }
        return h;
    }

    @Test
    void greedyPicksArgmax() {
        assertThat(new Sampler(SamplerConfig.greedy()).sample(LOGITS, 0, LOGITS.length, new int[0], 0)).isEqualTo(1);
    }

    @Test
    void topKRestrictsToKBest() {
        assertThat(histogram(cfg(1f, 2, 1f, 0f)).keySet()).containsExactlyInAnyOrder(1, 4);
    }

    @Test
    void topPKeepsSmallestNucleus() {
        // p(1)≈0.53, p(4)≈0.32, p(2)≈0.07: top-p 0.8 needs tokens 1 and 4.
        assertThat(histogram(cfg(1f, 0, 0.8f, 0f)).keySet()).containsExactlyInAnyOrder(1, 4);
    }

    @Test
    void minPDropsTokensBelowFractionOfBest() {
        // p(2)/p(1) = e^-2 ≈ 0.135 < 0.2, p(4)/p(1) = e^-0.5 ≈ 0.61
        assertThat(histogram(cfg(1f, 0, 1f, 0.2f)).keySet()).containsExactlyInAnyOrder(1, 4);
    }

    @Test
    void samplingFollowsSoftmaxFrequencies() {
        Map<Integer, Integer> h = histogram(cfg(1f, 0, 1f, 0f));
        double z = 0;
        for (float l : LOGITS) {
            z += Math.exp(l);
        }
        double p1 = Math.exp(5) / z;
        assertThat(h.get(1) / (double) DRAWS).isCloseTo(p1, org.assertj.core.data.Offset.offset(0.03));
    }

    @Test
    void sameSeedSameSequence() {
        Sampler a = new Sampler(cfg(1f, 0, 1f, 0f));
        Sampler b = new Sampler(cfg(1f, 0, 1f, 0f));
        for (int i = 0; i < 100; i++) {
            assertThat(a.sample(LOGITS, 0, 6, new int[0], 0)).isEqualTo(b.sample(LOGITS, 0, 6, new int[0], 0));
        }
    }

    @Test
    void repetitionPenaltyAsLlamaCpp() {
        // token 1 (logit 5) penalized by 2 → 2.5 < token 4's 4.5: greedy switches to 4.
        SamplerConfig c = new SamplerConfig(0f, 0, 1f, 0f, 2f, 64, 0f, 0f, 0);
        assertThat(new Sampler(c).sample(LOGITS, 0, 6, new int[] {1}, 1)).isEqualTo(4);
    }

    @Test
    void frequencyAndPresencePenaltiesSubtractCounts() {
        // token 1 seen 3 times: 5 − 3·0.2 − 0.1 = 4.3 < 4.5
        SamplerConfig c = new SamplerConfig(0f, 0, 1f, 0f, 1f, -1, 0.2f, 0.1f, 0);
        assertThat(new Sampler(c).sample(LOGITS, 0, 6, new int[] {1, 1, 1}, 3)).isEqualTo(4);
        SamplerConfig weaker = new SamplerConfig(0f, 0, 1f, 0f, 1f, -1, 0.1f, 0.1f, 0);
        assertThat(new Sampler(weaker).sample(LOGITS, 0, 6, new int[] {1, 1, 1}, 3)).isEqualTo(1);
    }

    @Test
    void topKHandlesTiesAndLargeVocab() {
        float[] big = new float[50_000];
        big[123] = 9f;
        big[40_000] = 9f;
        big[7] = 8f;
        Sampler s = new Sampler(cfg(0.01f, 2, 1f, 0f));
        for (int i = 0; i < 50; i++) {
            assertThat(s.sample(big, 0, big.length, new int[0], 0)).isIn(123, 40_000);
        }
    }

    @Test
    void rejectsInvalidParameters() {
        assertThatThrownBy(() -> cfg(-1f, 0, 1f, 0f)).hasMessageContaining("temperature").hasMessageContaining("-1");
        assertThatThrownBy(() -> cfg(1f, 0, 0f, 0f)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> cfg(1f, 0, 1f, 2f)).hasMessageContaining("min_p");
    }

    /** Largest allowed gap between observed and exact probabilities over FULL_DRAWS samples (~5 standard errors). */
    private static final double FREQUENCY_TOLERANCE = 0.02;
    private static final int FULL_DRAWS = 20_000;

    @Test
    void untruncatedSamplingFollowsTheSoftmaxWithoutSorting() {
        float[] logits = {2f, 1f, 0f, -1f, Float.NEGATIVE_INFINITY};
        float temp = 0.7f;
        Sampler s = new Sampler(cfg(temp, 0, 1f, 0f));
        int[] counts = new int[logits.length];
        for (int i = 0; i < FULL_DRAWS; i++) {
            counts[s.sample(logits, 0, logits.length, new int[0], 0)]++;
        }
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l / temp);
        }
        for (int i = 0; i < logits.length; i++) {
            double expected = Math.exp(logits[i] / temp) / z;
            double observed = counts[i] / (double) FULL_DRAWS;
            assertThat(Math.abs(observed - expected)).as("token %d: observed %.4f, expected %.4f", i, observed, expected)
                    .isLessThan(FREQUENCY_TOLERANCE);
        }
        assertThat(counts[4]).as("-inf logits are never drawn").isZero();
        assertThat(Sampler.drawFromAll(logits, 1f, 0.0)).isZero();
        assertThat(Sampler.drawFromAll(logits, 1f, 0.999999999)).isEqualTo(3);
    }

    @Test
    void inPlaceSamplingAtAnOffsetMatchesSamplingACopy() {
        float[] row = {0.5f, 1f, 3f, -2f, 0f, 2.5f};
        float[] padded = new float[row.length + 5];
        java.util.Arrays.fill(padded, 50f); // huge logits outside the row must never be seen
        System.arraycopy(row, 0, padded, 3, row.length);
        assertThat(new Sampler(cfg(0f, 0, 1f, 0f)).sample(padded, 3, row.length, new int[0], 0)).isEqualTo(2);
        Sampler onCopy = new Sampler(cfg(0.9f, 0, 1f, 0f));
        Sampler inPlace = new Sampler(cfg(0.9f, 0, 1f, 0f));
        for (int i = 0; i < 500; i++) {
            int a = onCopy.sample(row.clone(), 0, row.length, new int[0], 0);
            int b = inPlace.sample(padded, 3, row.length, new int[0], 0);
            assertThat(b).as("draw %d", i).isEqualTo(a).isBetween(0, row.length - 1);
        }
        SamplerConfig penalized = new SamplerConfig(0f, 0, 1f, 0f, 1f, 64, 0f, 10f, 7);
        assertThat(new Sampler(penalized).sample(padded, 3, row.length, new int[] {2}, 1))
                .as("presence penalty on token 2 (copied path) moves greedy to the next best").isEqualTo(5);
    }

    @Test
    void logitBiasShiftsTokensBeforeEveryOtherStep() {
        float[] logits = {3f, 2f, 1f, 0f};
        SamplerConfig greedy = SamplerConfig.greedy();
        assertThat(new Sampler(greedy).sample(logits, 0, 4, new int[0], 0)).isZero();
        // +2.5 on token 1 makes it the argmax; -100 on token 0 bans it under sampling too
        assertThat(new Sampler(greedy.withLogitBias(LogitBias.of(java.util.Map.of(1, 2.5f)))).sample(logits, 0, 4, new int[0], 0)).isEqualTo(1);
        Sampler banned = new Sampler(cfg(1f, 0, 1f, 0f).withLogitBias(LogitBias.of(java.util.Map.of(0, -100f, 1, -100f))));
        for (int i = 0; i < 2_000; i++) {
            assertThat(banned.sample(logits, 0, 4, new int[0], 0)).isIn(2, 3);
        }
        // the logits passed in are not modified, and ids beyond the vocabulary are skipped
        float[] copy = logits.clone();
        new Sampler(greedy.withLogitBias(LogitBias.of(java.util.Map.of(2, 9f, 99, 1f)))).sample(logits, 0, 4, new int[0], 0);
        assertThat(logits).containsExactly(copy);
        assertThat(LogitBias.of(java.util.Map.of(7, 1f, 3, -1f)).maxId()).isEqualTo(7);
        assertThatThrownBy(() -> LogitBias.of(java.util.Map.of(-1, 1f))).isInstanceOf(IllegalArgumentException.class);
        assertThat(greedy.withSeed(9).seed()).isEqualTo(9);
    }
}
