package dev.smelt.compress.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PrunerTest {

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return w;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.3, 0.5, 0.77})
    void unstructuredZeroesExactlyFloorColsTimesRatioPerRowAndKeepsTheLargest(double ratio) {
        int rows = 7;
        int cols = 43;
        float[] orig = random(rows * cols, 1);
        float[] w = orig.clone();
        long n = Pruner.prune(w, rows, cols, PruneMethod.MAGNITUDE, Sparsity.unstructured(ratio), null);
        int perRow = (int) Math.floor(cols * ratio);
        assertThat(n).isEqualTo((long) rows * perRow);
        for (int r = 0; r < rows; r++) {
            int zeros = 0;
            float maxPruned = 0;
            float minKept = Float.MAX_VALUE;
            for (int j = 0; j < cols; j++) {
                float v = w[r * cols + j];
                if (v == 0) {
                    zeros++;
                    maxPruned = Math.max(maxPruned, Math.abs(orig[r * cols + j]));
                } else {
                    assertThat(v).as("kept weights are unchanged at row %d col %d", r, j).isEqualTo(orig[r * cols + j]);
                    minKept = Math.min(minKept, Math.abs(v));
                }
            }
            assertThat(zeros).as("zeros in row %d", r).isEqualTo(perRow);
            if (perRow > 0) {
                assertThat(maxPruned).as("row %d: every pruned |w| is at most every kept |w|", r).isLessThanOrEqualTo(minKept);
            }
        }
    }

    @Test
    void twoFourKeepsTheTwoLargestOfEveryGroupOfFour() {
        int rows = 5;
        int cols = 32;
        float[] orig = random(rows * cols, 2);
        float[] w = orig.clone();
        long n = Pruner.prune(w, rows, cols, PruneMethod.MAGNITUDE, Sparsity.pattern("2:4"), null);
        assertThat(n).isEqualTo(rows * cols / 2);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols; g += 4) {
                int o = r * cols + g;
                float[] abs = new float[4];
                int nonZero = 0;
                for (int k = 0; k < 4; k++) {
                    abs[k] = Math.abs(orig[o + k]);
                    nonZero += w[o + k] != 0 ? 1 : 0;
                }
                assertThat(nonZero).as("non-zeros in row %d group at %d", r, g).isEqualTo(2);
                float[] sorted = abs.clone();
                Arrays.sort(sorted);
                for (int k = 0; k < 4; k++) {
                    boolean kept = w[o + k] != 0;
                    assertThat(kept).as("row %d col %d |w|=%s", r, g + k, abs[k]).isEqualTo(abs[k] >= sorted[2]);
                }
            }
        }
    }

    @Test
    void oneFourPatternKeepsOne() {
        float[] w = {0.1f, -0.4f, 0.3f, 0.2f, 5f, 1f, -6f, 0f};
        Pruner.prune(w, 1, 8, PruneMethod.MAGNITUDE, Sparsity.pattern("1:4"), null);
        assertThat(w).containsExactly(0f, -0.4f, 0f, 0f, 0f, 0f, -6f, 0f);
    }

    /** One row, two inputs: magnitude drops the smaller weight; Wanda drops the one whose input is quiet. */
    @Test
    void wandaAndMagnitudeChooseDifferentWeights() {
        float[] norms = {100f, 1f}; // Σx²: input 0 is loud (‖x‖ = 10), input 1 quiet (‖x‖ = 1)
        float[] mag = {1f, 2f, -3f, 0.5f};
        float[] wanda = mag.clone();
        Pruner.prune(mag, 2, 2, PruneMethod.MAGNITUDE, Sparsity.unstructured(0.5), null);
        Pruner.prune(wanda, 2, 2, PruneMethod.WANDA, Sparsity.unstructured(0.5), norms);
        assertThat(mag).containsExactly(0f, 2f, -3f, 0f);
        // row 0: scores 1·10 = 10 vs 2·1 = 2 → weight 2 goes; row 1: 30 vs 0.5 → 0.5 goes
        assertThat(wanda).containsExactly(1f, 0f, -3f, 0f);
    }

    @Test
    void tiesAreBrokenByColumnIndex() {
        float[] w = {1f, 1f, 1f, 1f};
        Pruner.prune(w, 1, 4, PruneMethod.MAGNITUDE, Sparsity.unstructured(0.5), null);
        assertThat(w).containsExactly(0f, 0f, 1f, 1f);
    }

    @Test
    void badInputIsRejectedWithTheOffendingValue() {
        float[] w = new float[12];
        assertThatThrownBy(() -> Pruner.prune(w, 2, 6, PruneMethod.MAGNITUDE, Sparsity.pattern("2:4"), null))
                .hasMessageContaining("row length 6").hasMessageContaining("group size 4");
        assertThatThrownBy(() -> Pruner.prune(w, 2, 6, PruneMethod.WANDA, Sparsity.unstructured(0.5), null))
                .hasMessageContaining("Wanda needs input norms for 6 columns");
        assertThatThrownBy(() -> Pruner.prune(w, 2, 6, PruneMethod.WANDA, Sparsity.unstructured(0.5), new float[5]))
                .hasMessageContaining("got 5");
        assertThatThrownBy(() -> Pruner.prune(w, 3, 6, PruneMethod.MAGNITUDE, Sparsity.unstructured(0.5), null))
                .hasMessageContaining("[3, 6]");
        assertThatThrownBy(() -> Sparsity.unstructured(1.0)).hasMessageContaining("got 1.0");
        assertThatThrownBy(() -> Sparsity.pattern("4:2")).hasMessageContaining("4:2");
        assertThatThrownBy(() -> Sparsity.pattern("2-4")).hasMessageContaining("'2-4'");
        assertThatThrownBy(() -> PruneMethod.parse("sparsegpt")).hasMessageContaining("'sparsegpt'");
    }
}
