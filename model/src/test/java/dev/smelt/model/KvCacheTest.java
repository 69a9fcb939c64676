package dev.smelt.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvCacheTest {
    @Test
    void copyPrefixFromTakesExactlyThePrefixOfEveryLayer() {
        KvCache src = new KvCache(2, 8, 3);
        for (int l = 0; l < 2; l++) {
            for (int i = 0; i < 8 * 3; i++) {
                src.keys(l)[i] = 100 * l + i;
                src.values(l)[i] = -(100 * l + i);
            }
        }
        src.setLengthInternal(5);
        KvCache dst = new KvCache(2, 8, 3);
        java.util.Arrays.fill(dst.keys(1), 7f);
        dst.setLengthInternal(6);
        dst.copyPrefixFrom(src, 4);
        assertThat(dst.length()).isEqualTo(4);
        for (int l = 0; l < 2; l++) {
            for (int i = 0; i < 4 * 3; i++) {
                assertThat(dst.keys(l)[i]).as("layer %d key %d", l, i).isEqualTo(src.keys(l)[i]);
                assertThat(dst.values(l)[i]).as("layer %d value %d", l, i).isEqualTo(src.values(l)[i]);
            }
        }
        assertThat(dst.keys(1)[4 * 3]).as("positions past the prefix are not copied").isEqualTo(7f);
    }

    @Test
    void copyPrefixFromRejectsOtherShapesAndTooLongPrefixes() {
        KvCache src = new KvCache(2, 8, 3);
        src.setLengthInternal(5);
        assertThatThrownBy(() -> new KvCache(2, 8, 4).copyPrefixFrom(src, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kvDim 3 vs 4");
        assertThatThrownBy(() -> new KvCache(3, 8, 3).copyPrefixFrom(src, 2)).hasMessageContaining("2 vs 3 layers");
        assertThatThrownBy(() -> new KvCache(2, 8, 3, true).copyPrefixFrom(src, 2)).hasMessageContaining("f16 false vs true");
        assertThatThrownBy(() -> new KvCache(2, 8, 3).copyPrefixFrom(src, 6)).hasMessageContaining("prefix length 6 outside [0, 5]");
        assertThatThrownBy(() -> new KvCache(2, 4, 3).copyPrefixFrom(src, 5)).hasMessageContaining("prefix length 5 outside [0, 4]");
    }
}
