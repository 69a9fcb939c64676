package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class F16VectorTest {
    @Test
    void everyHalfConvertsExactly() {
        MemorySegment all = MemorySegment.ofArray(new short[65536]);
        for (int i = 0; i < 65536; i++) {
            all.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) i);
        }
        for (int i = 0; i < 65536; i += Simd.L) {
            float[] got = new float[Simd.L];
            F16Vector.halves(all, 2L * i).intoArray(got, 0);
            for (int j = 0; j < Simd.L; j++) {
                float expected = Float.float16ToFloat((short) (i + j));
                assertThat(Float.floatToIntBits(got[j])).as("half 0x%04X: expected %s got %s", i + j, expected, got[j])
                        .isEqualTo(Float.isNaN(expected) ? Float.floatToIntBits(got[j]) : Float.floatToIntBits(expected));
                assertThat(Float.isNaN(got[j])).isEqualTo(Float.isNaN(expected));
            }
        }
    }
}
