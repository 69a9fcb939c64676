package dev.smelt.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every Vector API kernel against its scalar reference, on random blocks at odd sizes and offsets. */
class FastFormatsTest {
    /**
     * Relative tolerance on a dot product, scaled by Σ|w·x|: the kernels only reorder float
     * additions, whose error is bounded by ~n·ε·Σ|w·x| (ε = 6e-8); 1e-5 covers rows of thousands.
     */
    static final double DOT_REL = 1e-5;
    private static final int[] BLOCKS = {1, 2, 3, 7, 11};

    static Stream<GgmlType> types() {
        return Arrays.stream(GgmlType.values()).filter(Formats::supports);
    }

    @ParameterizedTest
    @MethodSource("types")
    void fastDotMatchesScalarReference(GgmlType type) {
        WeightFormat ref = Formats.reference(type);
        WeightFormat fast = Formats.of(type);
        SplittableRandom r = new SplittableRandom(type.ordinal());
        int bs = type.blockSize() == 1 ? 37 : type.blockSize(); // plain types: odd element counts
        for (int blocks : BLOCKS) {
            int n = type.blockSize() == 1 ? bs * blocks : bs * blocks;
            int lead = 3; // unaligned start inside the segment
            byte[] bytes = randomRow(type, n, r, lead);
            MemorySegment seg = MemorySegment.ofArray(bytes);
            float[] x = new float[n + 5];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            float[] w = new float[n];
            ref.dequantize(seg, lead, w, 0, n);
            double mag = 0;
            for (int i = 0; i < n; i++) {
                mag += Math.abs(w[i] * x[i + 5]);
            }
            float expected = ref.dot(seg, lead, x, 5, n);
            float got = fast.dot(seg, lead, x, 5, n);
            assertThat((double) Math.abs(got - expected)).as("%s n=%d: expected %s got %s (Σ|wx| %s)", type, n, expected, got, mag)
                    .isLessThanOrEqualTo(DOT_REL * mag + 1e-30);
            float[] wf = new float[n];
            fast.dequantize(seg, lead, wf, 0, n);
            assertThat(wf).as("%s dequantize n=%d", type, n).containsExactly(w);
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void dotBatchMatchesRowByRowDots(GgmlType type) {
        WeightFormat fast = Formats.of(type);
        SplittableRandom r = new SplittableRandom(11 + type.ordinal());
        int n = type.blockSize() == 1 ? 67 : type.blockSize() * 3;
        byte[] bytes = randomRow(type, n, r, 0);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (int batch : new int[] {1, 3, 7}) {
            float[] x = new float[batch * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            float[] out = new float[batch * 5];
            fast.dotBatch(seg, 0, n, x, n, batch, out, 2, 5);
            for (int b = 0; b < batch; b++) {
                assertThat(out[2 + 5 * b]).as("%s batch %d row %d", type, batch, b).isEqualTo(fast.dot(seg, 0, x, b * n, n));
            }
        }
    }

    /** Random blocks whose fp16/bf16 fields hold sane finite values (no NaN/Inf scales). */
    static byte[] randomRow(GgmlType t, int n, SplittableRandom r, int lead) {
        int blocks = n / t.blockSize();
        byte[] b = new byte[lead + blocks * t.typeSize()];
        r.nextBytes(b);
        for (int k = 0; k < blocks; k++) {
            int o = lead + k * t.typeSize();
            switch (t) {
                case F32 -> putF32(b, o, (float) r.nextGaussian());
                case F16 -> putF16(b, o, switch (k % 7) {
                    case 0 -> 3e-6f;                     // subnormal half
                    case 1 -> -65504f;                   // largest half
                    default -> (float) r.nextGaussian();
                });
                case BF16 -> {
                    int bits = Float.floatToIntBits((float) r.nextGaussian()) >>> 16;
                    b[o] = (byte) bits;
                    b[o + 1] = (byte) (bits >>> 8);
                }
                case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS -> putF16(b, o, scale(r));
                case Q4_1, Q5_1, Q4_K, Q5_K -> {
                    putF16(b, o, scale(r));
                    putF16(b, o + 2, scale(r));
                }
                case Q2_K -> {
                    putF16(b, o + 80, scale(r));
                    putF16(b, o + 82, scale(r));
                }
                case Q3_K -> putF16(b, o + 108, scale(r));
                case Q6_K -> putF16(b, o + 208, scale(r));
                default -> throw new IllegalArgumentException(t.name());
            }
        }
        return b;
    }

    private static float scale(SplittableRandom r) {
        return (float) (r.nextDouble(-1, 1) * 0.01);
    }

    private static void putF16(byte[] b, int o, float v) {
        short h = Float.floatToFloat16(v);
        b[o] = (byte) h;
        b[o + 1] = (byte) (h >> 8);
    }

    private static void putF32(byte[] b, int o, float v) {
        int bits = Float.floatToIntBits(v);
        for (int i = 0; i < 4; i++) {
            b[o + i] = (byte) (bits >>> (8 * i));
        }
    }
}
