package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.smelt.tensor.GgmlType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The repacking flags: off/on for every format, per-format defaults, a clear error for a bad value. */
class RepackedPolicyTest {
    private String saved;

    @BeforeEach
    void save() {
        Assumptions.assumeTrue(System.getenv("SMELT_REPACK") == null, "SMELT_REPACK set in the environment");
        Assumptions.assumeTrue(Q4_0x8.supported(), "no 16/32-lane short vectors");
        saved = System.getProperty("smelt.repack");
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty("smelt.repack");
        } else {
            System.setProperty("smelt.repack", saved);
        }
    }

    @Test
    void flagsTurnEveryFormatOffOrOnAndDefaultsAreMeasuredOnes() {
        System.setProperty("smelt.repack", "0");
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_0, GgmlType.Q6_K, GgmlType.Q8_0}) {
            assertThat(Repacked.enabled(t)).as("%s with smelt.repack=0", t).isFalse();
        }
        System.setProperty("smelt.repack", "true");
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_0, GgmlType.Q6_K, GgmlType.Q8_0}) {
            assertThat(Repacked.enabled(t)).as("%s with smelt.repack=true", t).isTrue();
        }
        assertThat(Repacked.enabled(GgmlType.Q8_K)).as("Q8_K has no integer kernel").isFalse();
        System.clearProperty("smelt.repack");
        assertThat(Repacked.enabled(GgmlType.Q4_K)).isTrue();
        assertThat(Repacked.enabled(GgmlType.Q5_0)).isTrue();
        assertThat(Repacked.enabled(GgmlType.Q4_0)).isTrue();
        assertThat(Repacked.enabled(GgmlType.Q6_K)).isTrue();
        assertThat(Repacked.enabled(GgmlType.Q8_0)).as("Q8_0 is opt-in").isFalse();
    }

    @Test
    void aListOfFormatsTurnsExactlyThoseOn() {
        System.setProperty("smelt.repack", "q4_k, Q8_0");
        assertThat(Repacked.enabled(GgmlType.Q4_K)).isTrue();
        assertThat(Repacked.enabled(GgmlType.Q8_0)).isTrue();
        assertThat(Repacked.enabled(GgmlType.Q5_0)).as("not listed").isFalse();
        assertThat(Repacked.enabled(GgmlType.Q4_0)).as("not listed").isFalse();
        System.setProperty("smelt.repack", "Q4_K,Q9_9");
        assertThatThrownBy(() -> Repacked.enabled(GgmlType.Q4_K))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Q9_9' is not a format");
        System.setProperty("smelt.repack", "X".repeat(100_000));
        assertThatThrownBy(() -> Repacked.enabled(GgmlType.Q4_K))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(100000 characters)")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
    }

    @Test
    void unknownValueIsRefusedNamingTheFlag() {
        System.setProperty("smelt.repack", "maybe");
        assertThatThrownBy(() -> Repacked.enabled(GgmlType.Q4_K))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-Dsmelt.repack='maybe'");
    }
}
