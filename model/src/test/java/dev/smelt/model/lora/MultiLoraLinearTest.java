package dev.smelt.model.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.model.KvCache;
import dev.smelt.model.Linear;
import dev.smelt.model.SequenceBatch;
import dev.smelt.tensor.ThreadPool;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Per-row adapters against one static {@link LoraLinear} per row, at odd sizes. */
class MultiLoraLinearTest {
    private static final int ROWS = 13; // output features
    private static final int COLS = 11; // input features

    /** A dense F32 base, row-independent by construction (one dot product per output), for exact comparisons. */
    private record Dense(float[] w) implements Linear { // [ROWS, COLS]
        public String name() {
            return "blk.0.attn_q.weight";
        }

        public int rows() {
            return ROWS;
        }

        public int cols() {
            return COLS;
        }

        public void matmul(ThreadPool pool, float[] x, int batch, float[] out) {
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < ROWS; r++) {
                    float s = 0;
                    for (int c = 0; c < COLS; c++) {
                        s += w[r * COLS + c] * x[b * COLS + c];
                    }
                    out[b * ROWS + r] = s;
                }
            }
        }
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static LoraLinear.Delta delta(SplittableRandom r, int rank, float scale) {
        return new LoraLinear.Delta(0, ROWS, COLS, rank, gaussian(r, rank * COLS), gaussian(r, ROWS * rank), scale);
    }

    @Test
    void eachRowGetsOnlyItsAdaptersDelta() {
        SplittableRandom rnd = new SplittableRandom(7);
        Dense base = new Dense(gaussian(rnd, ROWS * COLS));
        List<LoraLinear.Delta> a = List.of(delta(rnd, 3, 0.5f));
        List<LoraLinear.Delta> b = List.of(delta(rnd, 5, 2f), delta(rnd, 1, -1f)); // two deltas: order matters for rounding
        MultiLoraLinear multi = new MultiLoraLinear(base, List.of(List.of(), a, b, List.of())); // id 3 touches nothing here
        int[] ids = {0, 2, 1, 1, 3, 0, 2};
        float[] x = gaussian(rnd, ids.length * COLS);
        SequenceBatch batch = new SequenceBatch();
        for (int id : ids) {
            batch.add(new KvCache(1, 4, 1), 0, false, id);
        }
        float[] out = new float[ids.length * ROWS];
        try (ThreadPool pool = new ThreadPool(1)) {
            multi.matmul(pool, x, ids.length, out, batch);
            for (int row = 0; row < ids.length; row++) {
                float[] xr = java.util.Arrays.copyOfRange(x, row * COLS, (row + 1) * COLS);
                float[] want = new float[ROWS];
                Linear ref = ids[row] == 1 ? new LoraLinear(base, a) : ids[row] == 2 ? new LoraLinear(base, b) : base;
                ref.matmul(pool, xr, 1, want);
                for (int r = 0; r < ROWS; r++) {
                    assertThat(out[row * ROWS + r]).as("row %d (adapter %d) output %d", row, ids[row], r).isEqualTo(want[r]);
                }
            }
            float[] plain = new float[ids.length * ROWS];
            multi.matmul(pool, x, ids.length, plain); // no step rows: the base model
            float[] baseOut = new float[ids.length * ROWS];
            base.matmul(pool, x, ids.length, baseOut);
            assertThat(plain).containsExactly(baseOut);
            SequenceBatch wrong = new SequenceBatch().add(new KvCache(1, 4, 1), 0, false, 9);
            assertThatThrownBy(() -> multi.matmul(pool, new float[COLS], 1, new float[ROWS], wrong)).hasMessageContaining("adapter id 9");
        }
        assertThatThrownBy(() -> new MultiLoraLinear(base, List.of(a))).hasMessageContaining("none for id 0");
    }
}
