package dev.smelt.runtime.constrain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConstrainedSamplingTest {
    @Test
    void primitiveLogitOrderMatchesTheBoxedComparatorOracle() {
        Random rnd = new Random(12);
        float[] logits = new float[1_003]; // odd size
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (rnd.nextGaussian() * 30);
        }
        logits[5] = Float.NEGATIVE_INFINITY;
        logits[6] = Float.POSITIVE_INFINITY;
        logits[7] = -0.0f;
        logits[8] = 0.0f;
        logits[9] = logits[10]; // a tie: lower id first, as the stable oracle sort has it
        Integer[] oracle = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(oracle, Comparator.comparingDouble(i -> logits[i]));
        long[] got = ConstrainedSampling.byLogit(logits);
        for (int i = 0; i < logits.length; i++) {
            int id = (int) got[i];
            if (id != oracle[i]) {
                assertThat(logits[id]).as("position %d: id %d vs oracle %d", i, id, oracle[i]).isEqualTo(logits[oracle[i]]);
            }
        }
    }
}
