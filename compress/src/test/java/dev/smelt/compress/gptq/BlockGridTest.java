package dev.smelt.compress.gptq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.compress.quant.BlockGrid;
import dev.smelt.tensor.GgmlType;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link BlockGrid#round} writes the level bits the type's decoder reads, and picks the nearest level. */
class BlockGridTest {
    static final List<GgmlType> TYPES = List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    @Test
    void everyQuantizedTypeHasAGrid() {
        for (GgmlType t : TYPES) {
            assertThat(BlockGrid.forType(t)).as(t.name()).isNotNull();
        }
        assertThat(BlockGrid.forType(GgmlType.F16)).isNull();
    }

    /** Rounding each element to its own decoded value keeps the block; the returned value is what the decoder reads. */
    @Test
    void roundAgreesWithTheDecoderForEveryElement() {
        SplittableRandom rnd = new SplittableRandom(19);
        for (GgmlType t : TYPES) {
            BlockGrid g = BlockGrid.forType(t);
            int n = g.blockSize();
            for (int trial = 0; trial < 5; trial++) {
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (float) (rnd.nextGaussian() * (1 + 3 * (i % 7 == 0 ? 1 : 0)));
                }
                byte[] y = new byte[g.blockBytes()];
                g.chooseScales(x, 0, null, y, 0);
                float[] before = Awq.dequantize(t, y, 1, n);
                for (int i = 0; i < n; i++) {
                    float got = g.round(y, 0, i, before[i]);
                    assertThat(got).as("%s element %d: round(%s) returned %s", t, i, before[i], got).isEqualTo(before[i]);
                }
                assertThat(Awq.dequantize(t, y, 1, n)).as(t.name()).containsExactly(before);
                for (int i = 0; i < n; i++) {
                    float v = (float) (rnd.nextGaussian() * 2);
                    float got = g.round(y, 0, i, v);
                    float[] after = Awq.dequantize(t, y, 1, n);
                    assertThat(after[i]).as("%s element %d: returned %s, decoder reads %s", t, i, got, after[i]).isEqualTo(got);
                    before[i] = got;
                    assertThat(after).as("%s: only element %d may change", t, i).containsExactly(before);
                }
            }
        }
    }

    /** The chosen level is at least as close to the target as its neighbours on the same grid. */
    @Test
    void roundPicksTheNearestLevel() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (GgmlType t : TYPES) {
            BlockGrid g = BlockGrid.forType(t);
            int n = g.blockSize();
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            byte[] y = new byte[g.blockBytes()];
            g.chooseScales(x, 0, null, y, 0);
            float[] grid = Awq.dequantize(t, y, 1, n);
            for (int i = 0; i < n; i++) {
                float v = (float) (rnd.nextGaussian() * 1.5);
                float got = g.round(y, 0, i, v);
                // every value the element took during RTN of other elements is reachable by it only if it shares
                // the sub-block; compare with the RTN value of the same element, which is on its grid
                assertThat(Math.abs(v - got)).as("%s element %d: target %s, got %s, grid value %s", t, i, v, got, grid[i])
                        .isLessThanOrEqualTo(Math.abs(v - grid[i]) + 1e-6f);
            }
        }
    }
}
