package dev.smelt.model.arch;

import dev.smelt.model.KvCache;
import dev.smelt.model.SequenceBatch;
import dev.smelt.tensor.ThreadPool;
import dev.smelt.testkit.SharedData;
import dev.smelt.testkit.Tolerances;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A step mixing a prompt chunk of one sequence with decode tokens of others equals running them apart. */
class MultiSequenceBatchTest {
    /** Same arithmetic per row except summation grouping inside batched kernels. */
    static final double ABS_TOL = 1e-4;

    @Test
    void mixedBatchEqualsSeparateRuns() throws Exception {
        try (DecoderModel m = Models.load(SharedData.model("gemma3.gguf")); ThreadPool pool = new ThreadPool(2)) {
            int vocab = m.config().vocab();
            int[] a = {1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50}; // longer than gemma3's window of 8
            int[] b = {1, 90, 91};
            KvCache ca = m.newCache(32);
            KvCache cb = m.newCache(32);
            m.forward(pool, Arrays.copyOf(a, 9), 9, ca, false);
            float[] expectA = new float[3 * vocab];
            KvCache sa = m.newCache(32);
            m.forward(pool, Arrays.copyOf(a, 9), 9, sa, false);
            float[] tailA = m.forward(pool, Arrays.copyOfRange(a, 9, 12), 3, sa, true);
            System.arraycopy(tailA, 0, expectA, 0, 3 * vocab);
            float[] expectB = m.forward(pool, b, 3, m.newCache(32), false);

            SequenceBatch batch = new SequenceBatch();
            batch.add(ca, a[9], true).add(cb, b[0], false).add(ca, a[10], true).add(cb, b[1], false).add(ca, a[11], true).add(cb, b[2], true);
            float[] got = m.forward(pool, batch);
            float[] gotA = new float[3 * vocab];
            System.arraycopy(got, 0, gotA, 0, 2 * vocab);       // rows 0,1: a[9], a[10]
            System.arraycopy(got, 2 * vocab, gotA, 2 * vocab, vocab); // row 2: a[11]
            Tolerances.assertClose("sequence a", expectA, gotA, ABS_TOL, 0);
            Tolerances.assertClose("sequence b", expectB, Arrays.copyOfRange(got, 3 * vocab, 4 * vocab), ABS_TOL, 0);
            org.assertj.core.api.Assertions.assertThat(ca.length()).isEqualTo(12);
            org.assertj.core.api.Assertions.assertThat(cb.length()).isEqualTo(3);
        }
    }
}
