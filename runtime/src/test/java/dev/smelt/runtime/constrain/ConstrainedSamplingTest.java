package dev.smelt.runtime.constrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;

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

    /**
     * A vocabulary that cannot spell '}' (nor a blank): after {"a":"a" no token may come. Before, the sampler returned
     * the end token and the answer ended with finish_reason "stop" on a cut document; now the request fails, naming the byte.
     */
    @Test
    void aDeadEndFailsInsteadOfEndingAsIfComplete() throws Exception {
        final int end = 0;
        byte[][] vocab = {new byte[0], "{".getBytes(), "\"".getBytes(), "a".getBytes(), ":".getBytes()};
        Node root = SchemaCompiler.compile(new ObjectMapper().readTree(
                "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}"));
        JsonConstraint c = new JsonConstraint(root, vocab, t -> t == end);
        for (int t : new int[] {1, 2, 3, 2, 4, 2, 3, 2}) { // {"a":"a"
            assertThat(c.allows(t)).as("token %d", t).isTrue();
            c.accept(t);
        }
        float[] logits = {5f, 1f, 2f, 3f, 4f}; // the model would rather end: that would lie
        Sampler greedy = new Sampler(SamplerConfig.greedy());
        assertThatThrownBy(() -> ConstrainedSampling.sample(greedy, logits, new int[8], 0, c, end, t -> t == end))
                .isInstanceOf(ConstraintDeadEndException.class).hasMessageContaining("dead end at byte 8 of the JSON document");
    }
}
